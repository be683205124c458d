/** What `switchboard user create|disable|list` run. */
import type { Scope } from "../../api/auth/principal.ts";
import { recordAudit } from "../../control/audit.ts";
import {
  passwordSchema,
  UsernameTakenError,
  userCreate,
  userDisable,
  userList,
} from "../../dashboard/users.ts";
import { cliOperator } from "../operator.ts";
import { readPassword } from "../password.ts";
import { withRuntime } from "../runtime.ts";

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const oneShot = { migrate: false, exitWhenDone: true };

function fail(message: string): void {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exitCode = 1;
}

export async function create(options: {
  name: string;
  scope: Scope[];
  passwordStdin?: boolean;
}): Promise<void> {
  let password: string;
  try {
    password = await readPassword({ fromStdin: options.passwordStdin === true });
  } catch (error) {
    return fail((error as Error).message);
  }
  const checked = passwordSchema.safeParse(password);
  if (!checked.success) return fail(checked.error.issues[0]?.message ?? "invalid password");
  return withRuntime("cli", oneShot, async ({ database }) => {
    try {
      const { id } = await userCreate(database.db, {
        username: options.name,
        password: checked.data,
        scopes: options.scope,
      });
      await recordAudit(database.db, {
        ...cliOperator(),
        action: "user.create",
        targetIds: [String(id)],
        details: { username: options.name, scopes: options.scope },
        outcome: "created",
      });
      print({ id, username: options.name, scopes: options.scope });
    } catch (error) {
      if (error instanceof UsernameTakenError) return fail(error.message);
      throw error;
    }
  });
}

export function disable(options: { name: string }): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    const outcome = await userDisable(database.db, options.name);
    if (outcome === "disabled") {
      await recordAudit(database.db, {
        ...cliOperator(),
        action: "user.disable",
        details: { username: options.name },
        outcome,
      });
    }
    print({ username: options.name, outcome });
    if (outcome === "not_found") fail(`no dashboard user named "${options.name}"`);
  });
}

export function list(): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    for (const user of await userList(database.db)) print(user);
  });
}
