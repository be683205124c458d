/**
 * The terminal of `monitor --watch`: the alternate screen, redrawn from the top left each frame,
 * each line cut to the width and the frame to the height; keys read in raw mode. Plain ANSI
 * (VT100) sequences, which every terminal emulator and SSH client understands.
 */
const ESC = "\x1b[";
/** q, Q, Ctrl-C (raw mode delivers it as a byte, not a signal), Ctrl-D. */
const quitKeys = new Set(["q", "Q", "\x03", "\x04"]);
const ansiSequence = new RegExp(`${"\x1b"}\\[[0-9;?]*[A-Za-z]`, "y");

/** `line` cut to `width` visible characters, escape sequences kept (and colour reset if cut). */
export function fitWidth(line: string, width: number): string {
  let visible = 0;
  let out = "";
  let i = 0;
  while (i < line.length) {
    ansiSequence.lastIndex = i;
    const sequence = ansiSequence.exec(line);
    if (sequence) {
      out += sequence[0];
      i += sequence[0].length;
      continue;
    }
    if (visible === width) return `${out}${ESC}0m`;
    out += line[i];
    visible += 1;
    i += 1;
  }
  return out;
}

export interface Screen {
  draw(text: string): void;
  /** Puts the terminal back as it was: main screen, cursor shown, keys cooked. */
  restore(): void;
}

export function openScreen(
  output: NodeJS.WriteStream,
  input: NodeJS.ReadStream,
  onQuit: () => void,
): Screen {
  output.write(`${ESC}?1049h${ESC}?25l${ESC}H${ESC}2J`);
  const rawMode = !!input.isTTY;
  if (rawMode) input.setRawMode(true);
  const onKey = (chunk: Buffer) => {
    const key = chunk.toString("utf8");
    if ([...key].some((char) => quitKeys.has(char))) onQuit();
  };
  input.on("data", onKey);
  input.resume();
  let last = "";
  const draw = (text: string) => {
    last = text;
    const width = output.columns || 80;
    const height = output.rows || 24;
    const lines = text.replace(/\n$/, "").split("\n").slice(0, height);
    output.write(
      `${ESC}H${lines.map((line) => `${fitWidth(line, width)}${ESC}K`).join("\r\n")}${ESC}J`,
    );
  };
  const onResize = () => draw(last);
  output.on("resize", onResize);
  let restored = false;
  return {
    draw,
    restore() {
      if (restored) return;
      restored = true;
      output.off("resize", onResize);
      input.off("data", onKey);
      if (rawMode) input.setRawMode(false);
      input.pause();
      output.write(`${ESC}?25h${ESC}?1049l`);
    },
  };
}
