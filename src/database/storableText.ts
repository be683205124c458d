/**
 * Text PostgreSQL cannot store: a NUL character (text and jsonb both refuse `\u0000`) or an
 * unpaired UTF-16 surrogate (it has no UTF-8 form). Input is checked before it is written, so it
 * is refused naming its field instead of failing the statement.
 */
import type { z } from "zod";

/** Why PostgreSQL cannot store `text`, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes("\u0000")) {
    return "contains a NUL character (\\u0000), which PostgreSQL cannot store";
  }
  if (!text.isWellFormed()) return "contains an unpaired UTF-16 surrogate, which is not Unicode";
  return undefined;
}

/** A zod refinement of strings that refuses text PostgreSQL cannot store. */
export function refuseUnstorable(text: string, ctx: z.RefinementCtx): void {
  const reason = unstorableReason(text);
  if (reason) ctx.addIssue({ code: "custom", message: reason });
}

export interface UnstorableText {
  path: (string | number)[];
  message: string;
}

/**
 * The first string or object key in a JSON value that PostgreSQL cannot store, with its path.
 * Walks without recursion, so a deeply nested value cannot exhaust the stack.
 */
export function findUnstorableText(value: unknown): UnstorableText | undefined {
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value: current, path } = next;
    if (typeof current === "string") {
      const reason = unstorableReason(current);
      if (reason) return { path, message: reason };
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) {
        pending.push({ value: current[index], path: [...path, index] });
      }
    } else if (current !== null && typeof current === "object") {
      const entries = Object.entries(current);
      for (let index = entries.length - 1; index >= 0; index--) {
        const [key, child] = entries[index] as [string, unknown];
        const reason = unstorableReason(key);
        if (reason) return { path: [...path, key], message: `its key ${reason}` };
        pending.push({ value: child, path: [...path, key] });
      }
    }
  }
  return undefined;
}
