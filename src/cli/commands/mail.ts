/**
 * The local mail sink from the shell: `switchboard mail list` and `switchboard mail show <id>`
 * read MAIL_DIR directly (no database, no API), as an aligned table or, with `--json`, JSON.
 */
import { Command, InvalidArgumentError } from "commander";
import { isMailId } from "../../email/mailFiles.ts";

function pageSize(value: string): number {
  const size = Number(value);
  if (!/^\d+$/.test(value) || size < 1 || size > 1000) {
    throw new InvalidArgumentError("expected a number from 1 to 1000");
  }
  return size;
}

function mailId(value: string): string {
  if (!isMailId(value)) {
    throw new InvalidArgumentError(
      "expected a message id as `switchboard mail list` shows it, e.g. 20261206T134501123Z-a1b2c3d4e5f6",
    );
  }
  return value;
}

const listCommand = new Command("list")
  .description("list the messages the local mail sink kept, newest first")
  .option("--limit <n>", "how many (1-1000)", pageSize, 20)
  .option("--json", "print JSON instead of a table")
  .action((options: { limit: number; json?: boolean }) =>
    import("../actions/mail.ts").then((actions) => actions.list(options)),
  );

const showCommand = new Command("show")
  .description("show one message: headers, text, attachments")
  .argument("<id>", "the message id from `switchboard mail list`", mailId)
  .option("--json", "print JSON (with the HTML body)")
  .option("--raw", "print the .eml file as received")
  .action((id: string, options: { json?: boolean; raw?: boolean }) =>
    import("../actions/mail.ts").then((actions) => actions.show(id, options)),
  );

export const mailCommand = new Command("mail")
  .description("read the local mail sink (MAIL_DIR): what was sent while SMTP_URL was unset")
  .addCommand(listCommand)
  .addCommand(showCommand);
