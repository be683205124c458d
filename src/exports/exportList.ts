/** Exports, newest requested first, in keyset pages (`created_at`, then id). */
import {
  afterCursor,
  type Cursor,
  cursorKey,
  type KeysetPage,
  keysetPage,
} from "../database/keysetCursor.ts";
import type { Db } from "../database/pool.ts";
import type { Export } from "../database/schema.ts";

export interface ExportListQuery {
  limit: number;
  after?: Cursor;
}

export async function exportList(db: Db, query: ExportListQuery): Promise<KeysetPage<Export>> {
  let select = db
    .selectFrom("exports")
    .selectAll()
    .select(cursorKey("created_at").as("cursor_at"))
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(query.limit + 1);
  if (query.after) select = select.where(afterCursor("created_at", query.after));
  const page = keysetPage(await select.execute(), query.limit, (row) => row.cursor_at);
  return { rows: page.rows.map(({ cursor_at: _, ...row }) => row), next: page.next };
}
