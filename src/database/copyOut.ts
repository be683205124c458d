/**
 * `COPY (query) TO STDOUT` as a stream of bytes, through pg-copy-streams: PostgreSQL writes the
 * rows (CSV, quoted by its own RFC 4180 writer) and Node only passes bytes on, which is what
 * lets an export go at the speed of the database without holding rows in memory.
 *
 * COPY takes no bind parameters, so a query built with Kysely has its parameters written into
 * the text as literals (`inlineParameters`): numbers as numbers, strings and Dates through pg's
 * `escapeLiteral`. Only use it on values the caller has validated (ids, instants, enums).
 *
 * @example
 * const text = copyCsvText(db.selectFrom("calls").select(["id", "status"]).compile(), { header: true });
 * await pipeline(await copyOut(pool, text), createWriteStream("calls.csv"));
 */
import type { Readable } from "node:stream";
import type { CompiledQuery } from "kysely";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { Pool } from "./pool.ts";

/** The query's text with each `$n` replaced by its parameter as an SQL literal. */
export function inlineParameters(query: CompiledQuery): string {
  return query.sql.replace(/\$(\d+)/g, (_match, index: string) =>
    literal(query.parameters[Number(index) - 1]),
  );
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`cannot inline the number ${value}`);
    return String(value);
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
  if (typeof value === "string") return pg.escapeLiteral(value);
  throw new TypeError(`cannot inline a parameter of type ${typeof value}`);
}

/** `COPY (query) TO STDOUT WITH (FORMAT csv[, HEADER])`. */
export function copyCsvText(query: CompiledQuery, options: { header: boolean }): string {
  return `copy (${inlineParameters(query)}) to stdout with (format csv${options.header ? ", header" : ""})`;
}

/**
 * `COPY (query) TO STDOUT` writing each row's one text column as a line, unescaped: CSV mode
 * with a delimiter and a quote (0x02, 0x01) that the text never holds, so nothing is quoted.
 * Only for text without control characters or an empty value, such as PostgreSQL's own JSON
 * (`json_build_object(…)::text` writes control characters as `\u00XX`).
 */
export function copyLinesText(query: CompiledQuery): string {
  return `copy (${inlineParameters(query)}) to stdout with (format csv, delimiter E'\\x02', quote E'\\x01')`;
}

/** A COPY's bytes; `completed` resolves with the rows copied once PostgreSQL has said so. */
export type CopyOutStream = Readable & { rowCount: number; completed: Promise<number> };

/**
 * Runs `copyText` (a `COPY … TO STDOUT`) on `client` and returns its bytes. The stream ends at
 * CopyDone, before PostgreSQL's CommandComplete (which carries the row count) has been read:
 * await `completed` for the count and before the client's next query.
 */
export function copyOutOn(client: pg.ClientBase, copyText: string): CopyOutStream {
  const stream = client.query(copyTo(copyText));
  const completed = new Promise<number>((resolve, reject) => {
    // pg tells a submitted query that its statement is over through this hook, which
    // pg-copy-streams leaves empty.
    (stream as unknown as { handleReadyForQuery: () => void }).handleReadyForQuery = () =>
      resolve(stream.rowCount);
    stream.once("error", reject);
    stream.once("close", () => {
      if (!stream.readableEnded) reject(new Error("the COPY stream was closed before its end"));
    });
  });
  completed.catch(() => {});
  return Object.assign(stream, { completed });
}

/**
 * Runs `copyText` (a `COPY … TO STDOUT`) on a connection of its own from `pool` and returns its
 * bytes. The connection goes back to the pool once the COPY has completed; a stream destroyed
 * early (or failing) discards it, since it may be left in the middle of the COPY.
 */
export async function copyOut(pool: Pool, copyText: string): Promise<CopyOutStream> {
  const client = await pool.connect();
  let released = false;
  const release = (discard: boolean) => {
    if (released) return;
    released = true;
    client.release(discard);
  };
  try {
    const stream = copyOutOn(client, copyText);
    stream.completed.then(
      () => release(false),
      () => release(true),
    );
    return stream;
  } catch (error) {
    release(true);
    throw error;
  }
}
