/** What `switchboard mail list|show` run. */
import { loadConfig } from "../../config.ts";
import { MailNotFoundError, mailGet, mailGetRaw, mailList } from "../../email/mailbox.ts";

const write = (text: string) => process.stdout.write(text);

/** Columns padded to their widest cell; the last one is left unpadded. */
export function alignedTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

export async function list(options: { limit: number; json?: boolean }): Promise<void> {
  const { mailDir } = loadConfig().email;
  const page = await mailList(mailDir, { limit: options.limit });
  if (options.json) {
    write(`${JSON.stringify(page.items)}\n`);
    return;
  }
  if (page.items.length === 0) {
    write(`No messages in ${mailDir}\n`);
    return;
  }
  write(
    alignedTable(
      ["ID", "DATE", "FROM", "TO", "SIZE", "ATTACHMENTS", "SUBJECT"],
      page.items.map((mail) => [
        mail.id,
        mail.date,
        mail.from,
        mail.to.join(", "),
        String(mail.size),
        String(mail.attachments.length),
        mail.subject,
      ]),
    ),
  );
}

export async function show(id: string, options: { json?: boolean; raw?: boolean }): Promise<void> {
  const { mailDir } = loadConfig().email;
  try {
    if (options.raw) {
      process.stdout.write(await mailGetRaw(mailDir, id));
      return;
    }
    const mail = await mailGet(mailDir, id);
    if (options.json) {
      write(`${JSON.stringify(mail)}\n`);
      return;
    }
    const fields: [string, string][] = [
      ["ID", mail.id],
      ["Date", mail.date],
      ["From", mail.from],
      ["To", mail.to.join(", ")],
      ["Subject", mail.subject],
      ["Message-ID", mail.message_id ?? ""],
      ["Size", `${mail.size} bytes`],
      ...mail.attachments_detail.map((file): [string, string] => [
        "Attachment",
        `${file.filename} (${file.content_type}, ${file.size} bytes)`,
      ]),
    ];
    const width = Math.max(...fields.map(([name]) => name.length)) + 1;
    write(fields.map(([name, value]) => `${`${name}:`.padEnd(width)} ${value}`).join("\n"));
    write(`\n\n${mail.text ?? "(no plain-text part)"}\n`);
  } catch (error) {
    if (error instanceof MailNotFoundError) throw new Error(`no message ${id} in ${mailDir}`);
    throw error;
  }
}
