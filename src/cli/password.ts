/**
 * Reads a password for a CLI command: from standard input with `--password-stdin` (scripts), or
 * typed twice at a terminal without echo. Without either there is no way to ask, and it says so.
 */
import { text } from "node:stream/consumers";

export async function readPassword(options: { fromStdin: boolean }): Promise<string> {
  if (options.fromStdin) return (await text(process.stdin)).replace(/\r?\n$/, "");
  if (!process.stdin.isTTY) {
    throw new Error("no terminal to ask for the password: pipe it in with --password-stdin");
  }
  const first = await askHidden("Password: ");
  const second = await askHidden("Repeat it: ");
  if (first !== second) throw new Error("the two passwords differ");
  return first;
}

function askHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  input.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let typed = "";
    const done = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === "\r" || character === "\n") return done();
        if (character === "\u0003") return done(new Error("cancelled"));
        if (character === "\u007f" || character === "\b") typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    input.on("data", onData);
  });
}
