/**
 * Secondary indexes set aside during a bulk load and built again at its end, in the same
 * transaction: sorting rows once into a fresh index costs less than inserting them one by one
 * into every index, as long as the table does not already hold more rows than the load brings.
 *
 * Call both inside one transaction: the drop takes the table's exclusive lock until commit, and
 * if anything fails before, the rollback brings the indexes back untouched.
 *
 * @example
 * await client.query("begin");
 * const deferred = await deferSecondaryIndexes(client, "calls", 10_000_000);
 * // … COPY …
 * await rebuildIndexes(client, deferred);
 * await client.query("commit");
 */
import type pg from "pg";

export interface DeferredIndex {
  name: string;
  /** The statement that builds the index (or adds its constraint) again. */
  definition: string;
}

/**
 * Drops the secondary indexes of `table` (not its primary key, nor an index a foreign key
 * depends on) when `incomingRows` is at least the table's estimated size and the role owns the
 * table; otherwise drops nothing. Returns what `rebuildIndexes` needs to build them again.
 */
export async function deferSecondaryIndexes(
  client: pg.ClientBase,
  table: string,
  incomingRows: number,
): Promise<DeferredIndex[]> {
  const size = await client.query<{ rows: number; owned: boolean }>(
    `select greatest(reltuples, 0)::float8 as rows, pg_has_role(relowner, 'USAGE') as owned
     from pg_class where oid = $1::regclass`,
    [table],
  );
  const held = size.rows[0];
  if (!held?.owned || incomingRows < held.rows) return [];
  const found = await client.query<DeferredIndex & { constraint_name: string | null }>(
    `select i.indexrelid::regclass::text as name, c.conname as constraint_name,
            case when c.oid is null then pg_get_indexdef(i.indexrelid)
                 else format('alter table %s add constraint %I %s', i.indrelid::regclass,
                             c.conname, pg_get_constraintdef(c.oid)) end as definition
     from pg_index i
     left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid
     where i.indrelid = $1::regclass and not i.indisprimary
       and not exists (select from pg_constraint f where f.contype = 'f' and f.conindid = i.indexrelid)
     order by i.indexrelid`,
    [table],
  );
  for (const index of found.rows) {
    await client.query(
      index.constraint_name
        ? `alter table ${table} drop constraint "${index.constraint_name}"`
        : `drop index ${index.name}`,
    );
  }
  return found.rows.map(({ name, definition }) => ({ name, definition }));
}

/**
 * Builds the deferred indexes again, with room to sort in memory; returns the seconds each took,
 * by name.
 */
export async function rebuildIndexes(
  client: pg.ClientBase,
  deferred: DeferredIndex[],
): Promise<Record<string, number>> {
  const seconds: Record<string, number> = {};
  if (deferred.length === 0) return seconds;
  await client.query("set local maintenance_work_mem = '1GB'");
  for (const index of deferred) {
    const started = performance.now();
    await client.query(index.definition);
    seconds[index.name] = (performance.now() - started) / 1000;
  }
  return seconds;
}
