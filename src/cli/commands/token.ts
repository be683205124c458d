/**
 * API tokens: `switchboard token create|revoke|list`. A token's secret is printed once, by
 * `create`; only its hash is stored. A token may expire (`--expires-in 30d`). Creating and
 * revoking are recorded in the audit log.
 */
import { Command, InvalidArgumentError } from "commander";
import { type Scope, scopes } from "../../api/auth/principal.ts";
import { parseTokenLifetime } from "../../api/auth/tokenLifetime.ts";
import { tokenNameSchema } from "../../api/auth/tokenName.ts";

function tokenName(value: string): string {
  const parsed = tokenNameSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? "invalid");
  return parsed.data;
}

function tokenLifetime(value: string): number {
  try {
    return parseTokenLifetime(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Collects `--scope read --scope operate` and `--scope read,operate` alike. */
export function collectScopes(value: string, previous: Scope[] = []): Scope[] {
  const given = value
    .split(",")
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
  if (given.length === 0) throw new InvalidArgumentError(`expected one of ${scopes.join(", ")}`);
  for (const scope of given) {
    if (!(scopes as readonly string[]).includes(scope)) {
      throw new InvalidArgumentError(
        `unknown scope "${scope}"; expected one of ${scopes.join(", ")}`,
      );
    }
  }
  return [...new Set([...previous, ...(given as Scope[])])];
}

const createCommand = new Command("create")
  .description("create an API token and print its secret (shown only this once)")
  .requiredOption(
    "--name <name>",
    "a unique name; the audit log records it as the actor",
    tokenName,
  )
  .requiredOption(
    "--scope <scope>",
    `${scopes.join(", ")} (repeat or comma-separate; admin implies operate, operate implies read)`,
    collectScopes,
  )
  .option(
    "--expires-in <duration>",
    "refuse the token this long after its creation: 3600s, 90m, 12h or 30d (default: never)",
    tokenLifetime,
  )
  .action((options: { name: string; scope: Scope[]; expiresIn?: number }) =>
    import("../actions/token.ts").then((actions) => actions.create(options)),
  );

const revokeCommand = new Command("revoke")
  .description("revoke an API token (every API process refuses it at once)")
  .requiredOption("--name <name>", "the token's name")
  .action((options: { name: string }) =>
    import("../actions/token.ts").then((actions) => actions.revoke(options)),
  );

const listCommand = new Command("list")
  .description("list API tokens (names, prefixes, scopes and expiry; never secrets)")
  .action(() => import("../actions/token.ts").then((actions) => actions.list()));

export const tokenCommand = new Command("token")
  .description("create, revoke and list API tokens")
  .addCommand(createCommand)
  .addCommand(revokeCommand)
  .addCommand(listCommand);
