import { sql } from "kysely";
import type { Db } from "../database/pool.ts";

/** Executions that ended `dead` in the last `minutes` (index on finished_at). */
export async function deadExecutionCount(db: Db, minutes: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from executions
    where status = 'dead' and finished_at > now() - make_interval(mins => ${minutes}::int)`.execute(
    db,
  );
  return rows[0]?.n ?? 0;
}
