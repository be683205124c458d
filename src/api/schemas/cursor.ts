/** The `cursor` query parameter of paged lists. */
import { z } from "zod";
import { decodeCursor } from "../../database/keysetCursor.ts";

/** A query parameter holding a cursor; a malformed one is a 400 naming `cursor`. */
export const cursorParam = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const cursor = decodeCursor(value);
    if (!cursor) {
      ctx.addIssue({
        code: "custom",
        message: "malformed cursor: pass the next_cursor of a previous page unchanged",
      });
      return z.NEVER;
    }
    return cursor;
  });
