/** What an API token may be named: the audit log records the name as the actor. */
import { z } from "zod";

export const tokenNameSchema = z
  .string({ error: "name must be a string" })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error: "name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  })
  .refine((name) => name !== "cli", { error: 'name "cli" is reserved for the command line' });
