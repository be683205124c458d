/**
 * The current directory's `.env`, read by every command before its configuration: each
 * `NAME=value` line sets a variable that the real environment does not (the environment wins).
 * Values are read by Node's own parser (`process.loadEnvFile`, the `--env-file` format), which
 * skips lines it cannot read; here such a line is an error that names it instead.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const assignment = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=(.*)$/;
const quotes = ['"', "'", "`"];

export function loadDotEnv(file = path.resolve(".env")): void {
  if (!existsSync(file)) return;
  checkDotEnv(readFileSync(file, "utf8"), path.basename(file));
  process.loadEnvFile(file);
}

/** Throws naming the first line that is neither blank, a `#` comment, nor `NAME=value`. */
export function checkDotEnv(text: string, name = ".env"): void {
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const matched = assignment.exec(line);
    if (!matched) {
      throw new Error(`${name} line ${index + 1}: expected NAME=value or a # comment`);
    }
    const value = (matched[1] as string).trimStart();
    const quote = quotes.find((candidate) => value.startsWith(candidate));
    if (!quote || value.indexOf(quote, 1) > 0) continue;
    // A quoted value may go on over the next lines, up to its closing quote.
    const opened = index;
    do index++;
    while (index < lines.length && !(lines[index] as string).includes(quote));
    if (index >= lines.length) {
      throw new Error(`${name} line ${opened + 1}: the value's ${quote} is never closed`);
    }
  }
}
