/** ANSI colour for terminal output: only on a terminal, and never when NO_COLOR is set. */

export interface Palette {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const plain = (text: string) => text;
const ansi = (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;

export function colourWanted(stream: NodeJS.WriteStream, env = process.env): boolean {
  // https://no-color.org: any non-empty value turns colour off.
  return !!stream.isTTY && !env.NO_COLOR;
}

export function palette(enabled: boolean): Palette {
  return enabled
    ? { red: ansi(31), yellow: ansi(33), green: ansi(32), bold: ansi(1), dim: ansi(2) }
    : { red: plain, yellow: plain, green: plain, bold: plain, dim: plain };
}
