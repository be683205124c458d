import { readFile } from "node:fs/promises";
import { type ParsedCronItem, parseCrontab } from "graphile-worker";
import type { TaskRegistry } from "./registry.ts";

/**
 * Reads the `crontab` file (graphile-worker's format) and checks that every line names a task
 * this process knows, so a typo fails at start-up instead of queueing jobs no worker runs.
 */
export async function loadCronItems(
  file: string,
  registry: TaskRegistry,
): Promise<ParsedCronItem[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const items = parseCrontab(text);
  for (const item of items) {
    if (!registry.get(item.task)) {
      throw new Error(`${file}: unknown task "${item.task}" (identifier ${item.identifier})`);
    }
  }
  return items;
}
