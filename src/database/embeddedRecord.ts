/**
 * The connection record of a running embedded server: `connection.json` in its data folder
 * (owner-only), naming its port and its password file, so that every command run beside it
 * (`switchboard token create` while `npm start` runs) connects to it instead of starting a second
 * server on the same data. A record whose server does not answer (left by a killed process) is
 * ignored, and replaced by the next server started there.
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

export interface ConnectionRecord {
  port: number;
  passwordFile: string;
  /** The process that started the server. */
  pid: number;
  startedAt: string;
}

export const EMBEDDED_USER = "postgres";

export function connectionRecordPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), "connection.json");
}

export function embeddedUrl(port: number, password: string, database: string): string {
  return `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

export async function writeConnectionRecord(
  dataDir: string,
  record: ConnectionRecord,
): Promise<void> {
  const file = connectionRecordPath(dataDir);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** Removes the record if it is still the one of the server on `port`. */
export async function removeConnectionRecord(dataDir: string, port: number): Promise<void> {
  const record = await readConnectionRecord(dataDir);
  if (record?.port === port) await rm(connectionRecordPath(dataDir), { force: true });
}

async function readConnectionRecord(dataDir: string): Promise<ConnectionRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(connectionRecordPath(dataDir), "utf8"));
    return typeof parsed?.port === "number" && typeof parsed?.passwordFile === "string"
      ? (parsed as ConnectionRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface RunningEmbedded {
  record: ConnectionRecord;
  url: string;
}

/** The embedded server running on this data folder, if its record names one that answers. */
export async function findRunningEmbedded(dataDir: string): Promise<RunningEmbedded | undefined> {
  const record = await readConnectionRecord(dataDir);
  if (!record) return undefined;
  let password: string;
  try {
    password = (await readFile(record.passwordFile, "utf8")).trim();
  } catch {
    return undefined;
  }
  const url = embeddedUrl(record.port, password, "switchboard");
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return { record, url };
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}
