/** Campaigns, newest first, in keyset pages (`created_at`, then id). */
import {
  afterCursor,
  type Cursor,
  cursorKey,
  type KeysetPage,
  keysetPage,
} from "../database/keysetCursor.ts";
import type { Db } from "../database/pool.ts";
import type { Campaign } from "../database/schema.ts";

export const campaignStatuses = ["running", "completed", "cancelled"] as const;

export interface CampaignListFilters {
  limit: number;
  after?: Cursor;
  status?: (typeof campaignStatuses)[number];
}

export async function campaignList(
  db: Db,
  filters: CampaignListFilters,
): Promise<KeysetPage<Campaign>> {
  let query = db
    .selectFrom("campaigns")
    .selectAll()
    .select(cursorKey("created_at").as("cursor_at"))
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(filters.limit + 1);
  if (filters.status) query = query.where("status", "=", filters.status);
  if (filters.after) query = query.where(afterCursor("created_at", filters.after));
  const page = keysetPage(await query.execute(), filters.limit, (row) => row.cursor_at);
  return { rows: page.rows.map(({ cursor_at: _, ...campaign }) => campaign), next: page.next };
}
