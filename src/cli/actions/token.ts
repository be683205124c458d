/** What `switchboard token create|revoke|list` run. */
import type { Scope } from "../../api/auth/principal.ts";
import { apiTokenList, createApiToken, revokeApiToken } from "../../api/auth/tokens.ts";
import { recordAudit } from "../../control/audit.ts";
import { cliOperator } from "../operator.ts";
import { withRuntime } from "../runtime.ts";

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const oneShot = { migrate: false, exitWhenDone: true };

export function create(options: {
  name: string;
  scope: Scope[];
  expiresIn?: number;
}): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    const created = await database.db.transaction().execute(async (trx) => {
      const token = await createApiToken(trx, {
        name: options.name,
        scopes: options.scope,
        expiresInSeconds: options.expiresIn,
      });
      await recordAudit(trx, {
        ...cliOperator(),
        action: "token.create",
        targetIds: [String(token.id)],
        details: { name: options.name, scopes: options.scope, expiresAt: token.expiresAt },
        outcome: "created",
      });
      return token;
    });
    print({
      id: created.id,
      name: options.name,
      scopes: options.scope,
      expiresAt: created.expiresAt,
      token: created.token,
    });
    process.stderr.write("Store this token now: it cannot be shown again.\n");
  });
}

export function revoke(options: { name: string }): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
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
  });
}

export function list(): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    for (const token of await apiTokenList(database.db)) print(token);
  });
}
