/**
 * API tokens: `switchboard token create|revoke|list`. A token's secret is printed once, by
 * `create`; only its hash is stored. Creating and revoking are recorded in the audit log.
 */
import { Command, InvalidArgumentError } from "commander";
import { type Scope, scopes } from "../../api/auth/principal.ts";
import {
  apiTokenList,
  createApiToken,
  revokeApiToken,
  tokenNameSchema,
} from "../../api/auth/tokens.ts";
import { recordAudit } from "../../control/audit.ts";
import { cliOperator } from "../operator.ts";
import { withRuntime } from "../runtime.ts";

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const oneShot = { migrate: false, exitWhenDone: true };

function tokenName(value: string): string {
  const parsed = tokenNameSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? "invalid");
  return parsed.data;
}

/** Collects `--scope read --scope operate` and `--scope read,operate` alike. */
function collectScopes(value: string, previous: Scope[] = []): Scope[] {
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
  .action((options: { name: string; scope: Scope[] }) =>
    withRuntime("cli", oneShot, async ({ database }) => {
      const created = await database.db.transaction().execute(async (trx) => {
        const token = await createApiToken(trx, { name: options.name, scopes: options.scope });
        await recordAudit(trx, {
          ...cliOperator(),
          action: "token.create",
          targetIds: [String(token.id)],
          details: { name: options.name, scopes: options.scope },
          outcome: "created",
        });
        return token;
      });
      print({ id: created.id, name: options.name, scopes: options.scope, token: created.token });
      process.stderr.write("Store this token now: it cannot be shown again.\n");
    }),
  );

const revokeCommand = new Command("revoke")
  .description("revoke an API token (the API refuses it within a few seconds)")
  .requiredOption("--name <name>", "the token's name")
  .action((options: { name: string }) =>
    withRuntime("cli", oneShot, async ({ database }) => {
      const result = await database.db.transaction().execute(async (trx) => {
        const revoked = await revokeApiToken(trx, options.name);
        if (revoked.outcome === "revoked") {
          await recordAudit(trx, {
            ...cliOperator(),
            action: "token.revoke",
            targetIds: [String(revoked.id)],
            details: { name: options.name },
            outcome: "revoked",
          });
        }
        return revoked;
      });
      print({ name: options.name, outcome: result.outcome });
      if (result.outcome === "not_found") {
        process.stderr.write(`switchboard: no API token named "${options.name}"\n`);
        process.exitCode = 1;
      }
    }),
  );

const listCommand = new Command("list")
  .description("list API tokens (names, prefixes and scopes; never secrets)")
  .action(() =>
    withRuntime("cli", oneShot, async ({ database }) => {
      for (const token of await apiTokenList(database.db)) print(token);
    }),
  );

export const tokenCommand = new Command("token")
  .description("create, revoke and list API tokens")
  .addCommand(createCommand)
  .addCommand(revokeCommand)
  .addCommand(listCommand);
