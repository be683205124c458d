/** Asks the operator a yes-or-no question on the terminal; only "y" or "yes" is a yes. */
import { createInterface } from "node:readline/promises";

export async function confirm(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await terminal.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    terminal.close();
  }
}
