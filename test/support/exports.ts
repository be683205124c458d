/**
 * Call data for export tests, and ways to read an export back: the decrypted file from the
 * generated-files store, and a CSV loaded into a temporary table by PostgreSQL's own COPY.
 */
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import type { Insertable } from "kysely";
import { from as copyFrom } from "pg-copy-streams";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import type { Db, Pool } from "../../src/database/pool.ts";
import type { CallTable } from "../../src/database/schema.ts";
import { exportColumnNames } from "../../src/exports/exportColumns.ts";

export interface CallCenterFixture {
  callQueueIds: number[];
  agentIds: number[];
  campaign: { id: number; publicId: string };
}

/** Two call queues, two agents (one named like a formula) and a campaign. */
export async function seedCallCenter(db: Db): Promise<CallCenterFixture> {
  const queues = await db
    .insertInto("call_queues")
    .values([
      { name: `Sales ${Math.random()}` },
      { name: `=HYPERLINK("http://x") ${Math.random()}` },
    ])
    .returning("id")
    .execute();
  const agents = await db
    .insertInto("agents")
    .values([{ name: 'Ada, "the" agent' }, { name: "@Bob" }])
    .returning("id")
    .execute();
  const campaign = await db
    .insertInto("campaigns")
    .values({ from_number: "+15005550006", max_concurrent_calls: 1, total_calls: 1 })
    .returning(["id", "public_id"])
    .executeTakeFirstOrThrow();
  return {
    callQueueIds: queues.map((row) => row.id),
    agentIds: agents.map((row) => row.id),
    campaign: { id: campaign.id, publicId: campaign.public_id },
  };
}

let sequence = 0;

/**
 * A call at `at`, its report time: `enqueued_at` for inbound (kept to the microsecond),
 * `created_at` for outbound (to the millisecond).
 */
export function callAt(
  at: string,
  fields: Partial<Insertable<CallTable>> = {},
): Insertable<CallTable> {
  sequence += 1;
  const inbound = (fields.direction ?? "inbound") === "inbound";
  return {
    direction: "inbound",
    from_number: `+1555000${String(sequence).padStart(4, "0")}`,
    to_number: "+15005550006",
    status: "completed",
    sid: `CA${String(sequence).padStart(32, "0")}`,
    created_at: new Date(Date.parse(at) - (inbound ? 2_000 : 0)),
    ...(inbound ? { enqueued_at: at } : {}),
    ...fields,
  };
}

export async function insertCalls(db: Db, calls: Insertable<CallTable>[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < calls.length; i += 1000) {
    const rows = await db
      .insertInto("calls")
      .values(calls.slice(i, i + 1000))
      .returning("id")
      .execute();
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

/** The export's file, decrypted. */
export async function readExportFile(
  services: CallCenterServices,
  storageKey: string,
): Promise<string> {
  return text(await services.reporting.files.get(storageKey));
}

/**
 * The CSV loaded by PostgreSQL's COPY (FORMAT csv, HEADER) into a temporary table of text
 * columns named like the export's, read back in file order.
 */
export async function loadCsv(pool: Pool, csv: string): Promise<Record<string, string | null>[]> {
  const client = await pool.connect();
  try {
    const columns = exportColumnNames.map((name) => `"${name}" text`).join(", ");
    await client.query(
      `create temp table loaded (line serial, ${columns}) on commit preserve rows`,
    );
    const names = exportColumnNames.map((name) => `"${name}"`).join(", ");
    await pipeline(
      Readable.from([csv]),
      client.query(copyFrom(`copy loaded (${names}) from stdin with (format csv, header match)`)),
    );
    const { rows } = await client.query(`select ${names} from loaded order by line`);
    await client.query("drop table loaded");
    return rows;
  } finally {
    client.release();
  }
}
