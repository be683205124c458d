import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { onCampaignCallFinished } from "../../src/calls/campaignSlots.ts";
import { db } from "../support/engine.ts";

describe("campaign completion", () => {
  it("completes when its last two calls end at the same time, in two transactions", async () => {
    const campaign = await db()
      .insertInto("campaigns")
      .values({ from_number: "+15550000000", max_concurrent_calls: 2, total_calls: 2 })
      .returning("id")
      .executeTakeFirstOrThrow();
    const calls = await db()
      .insertInto("calls")
      .values(
        ["+15550000001", "+15550000002"].map((to) => ({
          direction: "outbound-api",
          from_number: "+15550000000",
          to_number: to,
          status: "in-progress",
          campaign_id: campaign.id,
        })),
      )
      .returning("id")
      .execute();

    // Each transaction ends its call and checks the campaign before the other commits.
    let firstChecked!: () => void;
    const firstHasChecked = new Promise<void>((resolve) => (firstChecked = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const endCall = (callId: number, holdOpen: boolean) =>
      db()
        .transaction()
        .execute(async (trx) => {
          await sql`update calls set status = 'completed' where id = ${callId}`.execute(trx);
          await onCampaignCallFinished(trx, campaign.id, callId);
          if (holdOpen) {
            firstChecked();
            await released;
          }
        });
    const first = endCall(calls[0]?.id as number, true);
    await firstHasChecked;
    const second = endCall(calls[1]?.id as number, false);
    // Give the second transaction time to reach its check while the first is still open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await Promise.all([first, second]);

    const row = await db()
      .selectFrom("campaigns")
      .select(["status", "finished_at"])
      .where("id", "=", campaign.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("completed");
    expect(row.finished_at).not.toBeNull();
  });
});
