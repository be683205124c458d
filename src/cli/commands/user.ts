/**
 * Dashboard users: `switchboard user create|list|disable`. A user signs in to the dashboard with
 * a password and acts with their scopes (as API tokens' scopes: admin ⊃ operate ⊃ read).
 * Creating and disabling are recorded in the audit log.
 */
import { Command, InvalidArgumentError } from "commander";
import { type Scope, scopes } from "../../api/auth/principal.ts";
import { usernameSchema } from "../../dashboard/users.ts";
import { collectScopes } from "./token.ts";

function username(value: string): string {
  const parsed = usernameSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? "invalid");
  return parsed.data;
}

const createCommand = new Command("create")
  .description("create a dashboard user; asks for the password twice (or reads --password-stdin)")
  .requiredOption("--name <username>", "the name to sign in with; audited as user:<name>", username)
  .requiredOption(
    "--scope <scope>",
    `${scopes.join(", ")} (repeat or comma-separate; admin implies operate, operate implies read)`,
    collectScopes,
  )
  .option("--password-stdin", "read the password from standard input (at least 12 characters)")
  .action((options: { name: string; scope: Scope[]; passwordStdin?: boolean }) =>
    import("../actions/user.ts").then((actions) => actions.create(options)),
  );

const disableCommand = new Command("disable")
  .description("disable a dashboard user and end their sessions at once")
  .requiredOption("--name <username>", "the user's name")
  .action((options: { name: string }) =>
    import("../actions/user.ts").then((actions) => actions.disable(options)),
  );

const listCommand = new Command("list")
  .description("list dashboard users (names, scopes, created, disabled; never passwords)")
  .action(() => import("../actions/user.ts").then((actions) => actions.list()));

export const userCommand = new Command("user")
  .description("create, disable and list dashboard users")
  .addCommand(createCommand)
  .addCommand(disableCommand)
  .addCommand(listCommand);
