/**
 * One call: its facts, its status timeline (the call's status events), its recordings playable
 * in the page (GET /api/recordings/{id}/media streams the decrypted audio and audits it) and
 * their transcripts.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../api/context.ts";
import { SidOrIdParam } from "../../api/schemas/call.ts";
import { callViewOf } from "../../calls/callViews.ts";
import { callRecordings } from "../../recordings/callRecordings.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatCount, formatDuration, statusBadge, timeCell } from "../format.ts";
import { renderPage } from "../layout.ts";

/** Whole seconds as the call's columns hold them; zero is `0 s`, not `0 ms`. */
const seconds = (value: number | null) =>
  value === 0 ? "0 s" : formatDuration(value === null ? null : value * 1000);
const none = html`<span class="muted">—</span>`;

export function callPage({ db }: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/calls/:sid", async (c) => {
    const sid = c.req.param("sid");
    const call = SidOrIdParam.safeParse({ sid }).success ? await callViewOf(db, sid) : undefined;
    if (!call) {
      return renderPage(c, {
        title: "Call not found",
        nav: "calls",
        status: 404,
        body: html`<div class="panel"><p>No call ${sid}.</p><p><a href="/dashboard/calls">All calls</a></p></div>`,
      });
    }
    const recordings = await callRecordings(db, call.call_id);
    const facts: [string, unknown][] = [
      ["Call id", html`<span class="mono">${call.call_id}</span>`],
      ["CallSid", call.call_sid ? html`<span class="mono">${call.call_sid}</span>` : none],
      ["Direction", call.direction],
      ["From", call.from_number ?? none],
      ["To", call.to_number],
      ["Status", statusBadge(call.status)],
      ["Outcome", call.outcome ?? none],
      ["Answered by", call.answered_by ?? none],
      [
        "Campaign",
        call.campaign_id
          ? html`<a href="/dashboard/campaigns/${call.campaign_id}">${call.campaign_id}</a>`
          : none,
      ],
      ["Call queue", call.call_queue ?? none],
      ["Agent", call.agent_id ?? none],
      ["Dial attempts", formatCount(call.dial_attempts)],
      ["Created", timeCell(call.created_at)],
      ["Scheduled for", timeCell(call.scheduled_for)],
      ["Dialed", timeCell(call.dialed_at)],
      ["Answered", timeCell(call.answered_at)],
      ["Ended", timeCell(call.ended_at)],
      ["Duration", seconds(call.duration_seconds)],
      ["Wait", seconds(call.wait_seconds)],
      ["Talk", seconds(call.talk_seconds)],
      ["Hold", seconds(call.hold_seconds)],
      ["Wrap-up", seconds(call.wrap_up_seconds)],
    ];
    if (call.error) {
      facts.push(["Error", `${call.error.code ?? ""} ${call.error.message ?? ""}`.trim()]);
    }
    const timeline = call.events.map(
      (event) => html`<tr>
        <td class="num">${event.sequence_number ?? "—"}</td>
        <td>${statusBadge(event.status)}</td>
        <td>${timeCell(event.received_at)}</td>
        <td>${event.applied ? "yes" : html`<span class="muted">no (late or repeated)</span>`}</td>
      </tr>`,
    );
    const recordingPanels = recordings.map(
      (recording) => html`<section class="panel" aria-labelledby="recording-${recording.id}">
        <h3 id="recording-${recording.id}">Recording <span class="mono">${recording.sid}</span></h3>
        <p>${statusBadge(recording.status)} · ${seconds(recording.duration_seconds)}
          · recorded ${timeCell(recording.created_at)}</p>
        ${
          recording.status === "stored"
            ? html`<audio controls preload="metadata" src="/api/recordings/${recording.id}/media"
                aria-labelledby="recording-${recording.id}"></audio>`
            : html`<p class="muted">Not playable: the recording is ${recording.status}.</p>`
        }
        ${recording.transcripts.map(
          (transcript) => html`<h4>Transcript (${transcript.language})</h4>
            <blockquote class="transcript">${transcript.text}</blockquote>`,
        )}
      </section>`,
    );
    return renderPage(c, {
      title: `Call ${call.call_sid ?? call.call_id}`,
      nav: "calls",
      body: html`
        <p><a href="/dashboard/calls">All calls</a></p>
        <div class="panel"><dl class="facts">${facts.map(
          ([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`,
        )}</dl></div>
        <h2>Status timeline</h2>
        <div class="panel">
          ${
            timeline.length
              ? html`<table>
                  <thead><tr><th scope="col" class="num">Sequence</th><th scope="col">Status</th>
                    <th scope="col">Received</th><th scope="col">Applied</th></tr></thead>
                  <tbody>${timeline}</tbody>
                </table>`
              : html`<p class="muted">No status events yet.</p>`
          }
        </div>
        <h2>Recordings</h2>
        ${recordingPanels.length ? recordingPanels : html`<p class="muted">No recordings.</p>`}`,
    });
  });
  return app;
}
