/**
 * Campaigns: the list, newest first, and one campaign's progress (counts by outcome and a
 * progress bar), which assets/campaign.js refreshes from GET /api/campaigns/{id} while it runs.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import type { AppEnv } from "../../api/context.ts";
import { CampaignParam } from "../../api/schemas/call.ts";
import { cursorParam } from "../../api/schemas/cursor.ts";
import { toCampaignView } from "../../calls/callViews.ts";
import { campaignList, campaignStatuses } from "../../calls/campaignList.ts";
import { campaignGetByPublicId, campaignProgress } from "../../calls/campaigns.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatCount, statusBadge, timeCell } from "../format.ts";
import { renderPage } from "../layout.ts";
import { nextPageLink, options, parseQuery } from "./paging.ts";

const CampaignListQuery = z.object({
  status: z
    .enum(campaignStatuses, { error: `status must be one of ${campaignStatuses.join(", ")}` })
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursorParam.optional(),
});

const progressFields = [
  ["total", "Total"],
  ["queued", "Queued"],
  ["dialed", "Dialed"],
  ["in_progress", "In progress"],
  ["completed", "Completed"],
  ["failed", "Failed"],
] as const;

const page = { title: "Campaigns", nav: "calls" } as const;

export function campaignsPage({ db }: DashboardDependencies) {
  const app = new Hono<AppEnv>();

  app.get("/campaigns", async (c) => {
    const parsed = parseQuery(c, CampaignListQuery, page);
    if (!parsed.ok) return parsed.response;
    const { query } = parsed;
    const result = await campaignList(db, {
      limit: query.limit,
      after: query.cursor,
      status: query.status,
    });
    const rows = result.rows.map(toCampaignView).map(
      (campaign) => html`<tr>
        <td><a href="/dashboard/campaigns/${campaign.campaign_id}">${campaign.name ?? campaign.campaign_id}</a></td>
        <td>${statusBadge(campaign.status)}</td>
        <td>${campaign.from_number}</td>
        <td class="num">${formatCount(campaign.max_concurrent_calls)}</td>
        <td>${timeCell(campaign.created_at)}</td>
        <td>${timeCell(campaign.finished_at)}</td>
      </tr>`,
    );
    return renderPage(c, {
      ...page,
      body: html`
        <p><a href="/dashboard/calls">All calls</a></p>
        <form class="filters" method="get" action="/dashboard/campaigns">
          <div class="field"><label for="status">Status</label>
            <select id="status" name="status">${options(campaignStatuses, query.status)}</select></div>
          <button type="submit" class="button">Filter</button>
        </form>
        <div class="panel">
          <table>
            <caption class="muted">${rows.length ? "Newest first" : "No campaigns match."}</caption>
            <thead><tr><th scope="col">Campaign</th><th scope="col">Status</th><th scope="col">From</th>
              <th scope="col" class="num">Max concurrent calls</th><th scope="col">Created</th>
              <th scope="col">Finished</th></tr></thead>
            <tbody>${rows}</tbody>
          </table>
          ${nextPageLink(c, result.next)}
        </div>`,
    });
  });

  app.get("/campaigns/:id", async (c) => {
    const id = c.req.param("id");
    const campaign = CampaignParam.safeParse({ id }).success
      ? await campaignGetByPublicId(db, id)
      : undefined;
    if (!campaign) {
      return renderPage(c, {
        title: "Campaign not found",
        nav: "calls",
        status: 404,
        body: html`<div class="panel"><p>No campaign ${id}.</p><p><a href="/dashboard/campaigns">All campaigns</a></p></div>`,
      });
    }
    const view = toCampaignView(campaign);
    const progress = await campaignProgress(db, campaign);
    const ended = progress.completed + progress.failed;
    return renderPage(c, {
      title: `Campaign ${view.name ?? view.campaign_id}`,
      nav: "calls",
      scripts: ["campaign.js"],
      body: html`
        <p><a href="/dashboard/campaigns">All campaigns</a></p>
        <div class="panel" id="campaign" data-campaign-id="${view.campaign_id}" data-status="${view.status}">
          <dl class="facts">
            <dt>Campaign id</dt><dd class="mono">${view.campaign_id}</dd>
            <dt>Status</dt><dd data-field="campaign-status">${statusBadge(view.status)}</dd>
            <dt>From</dt><dd>${view.from_number}</dd>
            <dt>Max concurrent calls</dt><dd>${formatCount(view.max_concurrent_calls)}</dd>
            <dt>Delay between calls</dt><dd>${view.delay_between_calls} s</dd>
            <dt>Created</dt><dd>${timeCell(view.created_at)}</dd>
            <dt>Finished</dt><dd data-field="finished_at">${timeCell(view.finished_at)}</dd>
          </dl>
          <p><label for="campaign-progress">Calls ended</label>
            <progress id="campaign-progress" max="${Math.max(progress.total, 1)}" value="${ended}">${ended} of ${progress.total}</progress>
            <span data-field="ended">${formatCount(ended)}</span> of <span data-field="total">${formatCount(progress.total)}</span></p>
          <div class="cards">
            ${progressFields.map(
              ([key, label]) => html`<div class="card">
                <div class="figure" data-count="${key}">${formatCount(progress[key])}</div>
                <div class="label">${label}</div>
              </div>`,
            )}
          </div>
        </div>`,
    });
  });

  return app;
}
