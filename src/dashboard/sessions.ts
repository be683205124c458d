/**
 * Dashboard sessions, stored in PostgreSQL. The browser holds a random secret in an HttpOnly
 * cookie; only its SHA-256 is stored. A session acts as the user who signed in with a password,
 * or as the API token used to sign in (with that token's scopes, and only while the token is
 * neither revoked nor expired). It ends at its idle expiry (pushed forward as it is used, at most
 * once a minute), at its absolute expiry, or at sign-out. Expiry is judged by the database's
 * clock. `cleanup_expired_sessions` deletes ended sessions.
 *
 * @example
 * const { secret } = await sessionCreate(db, { userId: 3 }, defaultSessionLifetime);
 * const session = await sessionVerify(db, secret, defaultSessionLifetime); // null once ended
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { sql } from "kysely";
import type { Principal, Scope } from "../api/auth/principal.ts";
import type { Db } from "../database/pool.ts";
import { userPrincipal } from "./users.ts";

export interface SessionLifetime {
  /** A session unused this long ends (`DASHBOARD_SESSION_IDLE_MINUTES`). */
  idleMinutes: number;
  /** A session ends this long after sign-in, used or not (`DASHBOARD_SESSION_MAX_HOURS`). */
  maxHours: number;
}

export const defaultSessionLifetime: SessionLifetime = { idleMinutes: 30, maxHours: 12 };

/** Whose session: a user signed in with a password, or an API token. */
export type SessionOwner = { userId: number } | { tokenId: number };

export interface Session {
  id: number;
  principal: Principal;
  /** Every state-changing request must carry it (see `csrfMatches`). */
  csrfToken: string;
}

const SECRET_FORMAT = /^[A-Za-z0-9_-]{43}$/;
const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex");

export async function sessionCreate(
  db: Db,
  owner: SessionOwner,
  lifetime: SessionLifetime,
  userAgent?: string,
): Promise<{ secret: string; csrfToken: string }> {
  const secret = randomBytes(32).toString("base64url");
  const csrfToken = randomBytes(32).toString("base64url");
  await db
    .insertInto("dashboard_sessions")
    .values({
      secret_hash: hashSecret(secret),
      user_id: "userId" in owner ? owner.userId : null,
      token_id: "tokenId" in owner ? owner.tokenId : null,
      csrf_token: csrfToken,
      idle_expires_at: sql<Date>`now() + make_interval(mins => ${lifetime.idleMinutes})`,
      absolute_expires_at: sql<Date>`now() + make_interval(hours => ${lifetime.maxHours})`,
      user_agent: userAgent?.slice(0, 500) ?? null,
    })
    .execute();
  return { secret, csrfToken };
}

/**
 * The live session `secret` opens, or null when it is unknown or ended (expired, signed out, its
 * user disabled, its token revoked or expired).
 */
export async function sessionVerify(
  db: Db,
  secret: string,
  lifetime: SessionLifetime,
): Promise<Session | null> {
  if (!SECRET_FORMAT.test(secret)) return null;
  const row = await db
    .selectFrom("dashboard_sessions as s")
    .leftJoin("dashboard_users as u", (join) =>
      join.onRef("u.id", "=", "s.user_id").on("u.disabled_at", "is", null),
    )
    .leftJoin("api_tokens as t", (join) =>
      join
        .onRef("t.id", "=", "s.token_id")
        .on("t.revoked_at", "is", null)
        .on((eb) =>
          eb.or([eb("t.expires_at", "is", null), eb("t.expires_at", ">", sql<Date>`now()`)]),
        ),
    )
    .select([
      "s.id",
      "s.csrf_token",
      "u.id as user_id",
      "u.username",
      "u.scopes as user_scopes",
      "t.id as token_id",
      "t.name as token_name",
      "t.scopes as token_scopes",
      sql<boolean>`s.last_seen_at < now() - interval '1 minute'`.as("stale"),
    ])
    .where("s.secret_hash", "=", hashSecret(secret))
    .where("s.idle_expires_at", ">", sql<Date>`now()`)
    .where("s.absolute_expires_at", ">", sql<Date>`now()`)
    .executeTakeFirst();
  if (!row) return null;
  let principal: Principal;
  if (row.user_id !== null && row.username !== null && row.user_scopes !== null) {
    principal = userPrincipal({ id: row.user_id, username: row.username, scopes: row.user_scopes });
  } else if (row.token_id !== null && row.token_name !== null && row.token_scopes !== null) {
    principal = {
      key: `token:${row.token_id}`,
      tokenId: row.token_id,
      name: row.token_name,
      scopes: row.token_scopes as Scope[],
    };
  } else {
    return null;
  }
  if (row.stale) {
    await db
      .updateTable("dashboard_sessions")
      .set({
        last_seen_at: sql`now()`,
        idle_expires_at: sql`least(now() + make_interval(mins => ${lifetime.idleMinutes}), absolute_expires_at)`,
      })
      .where("id", "=", row.id)
      .execute();
  }
  return { id: row.id, principal, csrfToken: row.csrf_token };
}

export async function sessionEnd(db: Db, sessionId: number): Promise<void> {
  await db.deleteFrom("dashboard_sessions").where("id", "=", sessionId).execute();
}

/** Whether a request's CSRF token is the session's, compared in constant time. */
export function csrfMatches(
  session: Pick<Session, "csrfToken">,
  given: string | undefined,
): boolean {
  if (!given) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface DeleteExpiredSessionsResult {
  deleted: number;
}

/**
 * `cleanup_expired_sessions` (daily, midnight): deletes sessions past either expiry, in batches
 * of `batchSize` (one short transaction each) until none is left.
 */
export async function deleteExpiredSessions(
  db: Db,
  { batchSize = 1_000 }: { batchSize?: number } = {},
): Promise<DeleteExpiredSessionsResult> {
  let deleted = 0;
  for (;;) {
    const result = await sql<{ id: number }>`
      delete from dashboard_sessions where id in (
        select id from dashboard_sessions
        where idle_expires_at <= now() or absolute_expires_at <= now()
        limit ${batchSize} for update skip locked)
      returning id`.execute(db);
    deleted += result.rows.length;
    if (result.rows.length < batchSize) return { deleted };
  }
}
