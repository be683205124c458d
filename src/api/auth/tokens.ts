/**
 * API tokens: `sb_` + 32 random bytes in base64url. Only the SHA-256 of a token is stored, so a
 * token is looked up by its hash (no constant-time comparison is needed: the secret is never
 * compared, and the hash reveals nothing about it). The secret is shown once, at creation.
 *
 * Scopes nest: `admin` can do everything `operate` can, and `operate` everything `read` can.
 * A token may expire; whether it has is decided by the database's clock, never a process's.
 *
 * @example
 * const { token } = await createApiToken(db, { name: "ci", scopes: ["read"], expiresInSeconds: 3600 });
 * const check = await verifyApiToken(db, token); // { outcome: "valid", principal, expiresInMs }
 */
import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import { z } from "zod";
import type { Db } from "../../database/pool.ts";
import { type Principal, type Scope, scopes } from "./principal.ts";
import { tokenLifetimeSecondsSchema } from "./tokenLifetime.ts";
import { tokenNameSchema } from "./tokenName.ts";

export const TOKEN_PREFIX = "sb_";
/** `sb_` + 32 bytes in base64url (43 characters, no padding). */
const TOKEN_FORMAT = /^sb_[A-Za-z0-9_-]{43}$/;
/** Characters kept in `token_prefix`: `sb_` and the first 8 of the secret. */
const DISPLAY_PREFIX_LENGTH = 11;
/** `last_used_at` is written at most this often per token, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

const scopeRank: Record<Scope, number> = { read: 0, operate: 1, admin: 2 };

/** Whether `principal` may act with `scope`: `admin` implies `operate`, which implies `read`. */
export function hasScope(principal: Pick<Principal, "scopes">, scope: Scope): boolean {
  return principal.scopes.some((held) => scopeRank[held] >= scopeRank[scope]);
}

export const scopeListSchema = z
  .array(z.enum(scopes, { error: `scope must be one of ${scopes.join(", ")}` }))
  .min(1, { error: `at least one scope is required (${scopes.join(", ")})` })
  .transform((list) => [...new Set(list)]);

export class ApiTokenNameTakenError extends Error {
  override name = "ApiTokenNameTakenError";
  readonly tokenName: string;
  constructor(tokenName: string) {
    super(
      `an API token named "${tokenName}" already exists (names stay taken after a token is revoked); pick another name`,
    );
    this.tokenName = tokenName;
  }
}

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Whether `value` has the shape of a token (checked before any database lookup). */
export function looksLikeApiToken(value: string): boolean {
  return TOKEN_FORMAT.test(value);
}

export interface NewApiToken {
  name: string;
  scopes: Scope[];
  /** The token expires this long after its creation; unset: it lasts until revoked. */
  expiresInSeconds?: number;
}

/**
 * Creates a token and returns its secret, which is not stored and cannot be shown again.
 * Throws `ApiTokenNameTakenError` when the name is in use (revoked tokens keep their names).
 */
export async function createApiToken(
  db: Db,
  input: NewApiToken,
): Promise<{ id: number; token: string; expiresAt: Date | null }> {
  const name = tokenNameSchema.parse(input.name);
  const tokenScopes = scopeListSchema.parse(input.scopes);
  const lifetime =
    input.expiresInSeconds === undefined
      ? undefined
      : tokenLifetimeSecondsSchema.parse(input.expiresInSeconds);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  try {
    const row = await db
      .insertInto("api_tokens")
      .values({
        name,
        token_hash: hashApiToken(token),
        token_prefix: token.slice(0, DISPLAY_PREFIX_LENGTH),
        scopes: tokenScopes,
        expires_at:
          lifetime === undefined ? null : sql<Date>`now() + make_interval(secs => ${lifetime})`,
      })
      .returning(["id", "expires_at"])
      .executeTakeFirstOrThrow();
    return { id: row.id, token, expiresAt: row.expires_at };
  } catch (error) {
    const pgError = error as { code?: string; constraint?: string };
    if (pgError.code === "23505" && pgError.constraint === "api_tokens_name_key") {
      throw new ApiTokenNameTakenError(name);
    }
    throw error;
  }
}

/**
 * What a token is worth now: `valid` with its principal and how long it stays valid (by the
 * database's clock, as a duration, so a process's own clock does not matter), `expired` with
 * when, or `invalid` (unknown, malformed or revoked).
 */
export type ApiTokenCheck =
  | { outcome: "valid"; principal: Principal; expiresInMs: number | null }
  | { outcome: "expired"; expiredAt: Date }
  | { outcome: "invalid" };

/**
 * Checks a token against the database. Refreshes `last_used_at` of a valid token when it is
 * more than a minute old, so a busy token costs one write a minute, not one per request.
 */
export async function verifyApiToken(db: Db, token: string): Promise<ApiTokenCheck> {
  if (!looksLikeApiToken(token)) return { outcome: "invalid" };
  const row = await db
    .selectFrom("api_tokens")
    .select([
      "id",
      "name",
      "scopes",
      "last_used_at",
      "expires_at",
      sql<number | null>`(extract(epoch from expires_at - now()) * 1000)::float8`.as(
        "expires_in_ms",
      ),
    ])
    .where("token_hash", "=", hashApiToken(token))
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (!row) return { outcome: "invalid" };
  if (row.expires_at && row.expires_in_ms !== null && row.expires_in_ms <= 0) {
    return { outcome: "expired", expiredAt: row.expires_at };
  }
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await db
      .updateTable("api_tokens")
      .set({ last_used_at: sql`now()` })
      .where("id", "=", row.id)
      .where((eb) =>
        eb.or([
          eb("last_used_at", "is", null),
          eb("last_used_at", "<", sql<Date>`now() - interval '1 minute'`),
        ]),
      )
      .execute();
  }
  return {
    outcome: "valid",
    principal: {
      key: `token:${row.id}`,
      tokenId: row.id,
      name: row.name,
      scopes: row.scopes.filter((scope): scope is Scope => scope in scopeRank),
    },
    expiresInMs: row.expires_in_ms,
  };
}

export type RevokeOutcome = "revoked" | "already_revoked" | "not_found";

/** NOTIFY channel on which a revocation reaches every API process's authentication cache. */
export const TOKEN_REVOKED_CHANNEL = "switchboard_token_revoked";

/** Revokes a token; every API process forgets its cached verifications when this commits. */
export async function revokeApiToken(
  db: Db,
  name: string,
): Promise<{ id: number; outcome: RevokeOutcome } | { id: null; outcome: "not_found" }> {
  const revoked = await db
    .updateTable("api_tokens")
    .set({ revoked_at: sql`now()` })
    .where("name", "=", name)
    .where("revoked_at", "is", null)
    .returning("id")
    .executeTakeFirst();
  if (revoked) {
    await sql`select pg_notify(${TOKEN_REVOKED_CHANNEL}, ${String(revoked.id)})`.execute(db);
    return { id: revoked.id, outcome: "revoked" };
  }
  const existing = await db
    .selectFrom("api_tokens")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirst();
  if (existing) return { id: existing.id, outcome: "already_revoked" };
  return { id: null, outcome: "not_found" };
}

export interface ApiTokenSummary {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** When the token stops being accepted; null: when revoked. */
  expiresAt: Date | null;
}

/** Every token, oldest first, without secrets or hashes. */
export async function apiTokenList(db: Db): Promise<ApiTokenSummary[]> {
  const rows = await db
    .selectFrom("api_tokens")
    .select([
      "id",
      "name",
      "token_prefix",
      "scopes",
      "created_at",
      "last_used_at",
      "revoked_at",
      "expires_at",
    ])
    .orderBy("id")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    prefix: row.token_prefix,
    scopes: row.scopes,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
  }));
}
