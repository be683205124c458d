/**
 * Dashboard users: a username, a scrypt password hash and the scopes the user acts with (the
 * same scopes as API tokens: `admin` implies `operate`, which implies `read`). Created with
 * `switchboard user create`; a disabled user's sessions stop working at once.
 *
 * @example
 * await userCreate(db, { username: "alice", password: "…", scopes: ["operate"] });
 * const principal = await userSignIn(db, "alice", "…"); // null when wrong or disabled
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { z } from "zod";
import type { Principal, Scope } from "../api/auth/principal.ts";
import { scopeListSchema } from "../api/auth/tokens.ts";
import type { Db } from "../database/pool.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";

export const usernameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, {
  error: "username: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
});

export const passwordSchema = z
  .string()
  .min(12, { error: "password: at least 12 characters" })
  .max(1024, { error: "password: at most 1024 characters" });

export class UsernameTakenError extends Error {
  override name = "UsernameTakenError";
  constructor(username: string) {
    super(`a dashboard user named "${username}" already exists; pick another name`);
  }
}

export interface NewUser {
  username: string;
  password: string;
  scopes: Scope[];
}

export async function userCreate(db: Db, input: NewUser): Promise<{ id: number }> {
  const username = usernameSchema.parse(input.username);
  const password = passwordSchema.parse(input.password);
  const scopes = scopeListSchema.parse(input.scopes);
  const passwordHash = await hashPassword(password);
  try {
    return await db
      .insertInto("dashboard_users")
      .values({ username, password_hash: passwordHash, scopes })
      .returning("id")
      .executeTakeFirstOrThrow();
  } catch (error) {
    if ((error as { code?: string }).code === "23505") throw new UsernameTakenError(username);
    throw error;
  }
}

/** The principal a user acts as: audited as `user:<username>`. */
export function userPrincipal(row: { id: number; username: string; scopes: string[] }): Principal {
  return {
    key: `user:${row.id}`,
    tokenId: null,
    name: `user:${row.username}`,
    scopes: row.scopes as Scope[],
  };
}

/**
 * The user's principal when `password` is theirs and they are not disabled; null otherwise.
 * An unknown username costs the same hashing time as a wrong password.
 */
export async function userSignIn(
  db: Db,
  username: string,
  password: string,
): Promise<(Principal & { userId: number }) | null> {
  const row = await db
    .selectFrom("dashboard_users")
    .select(["id", "username", "password_hash", "scopes"])
    .where("username", "=", username)
    .where("disabled_at", "is", null)
    .executeTakeFirst();
  const matches = await verifyPassword(password, row?.password_hash ?? (await unknownUserHash()));
  if (!row || !matches) return null;
  return { ...userPrincipal(row), userId: row.id };
}

// A real hash of a random password, so a sign-in for an unknown user takes as long as any other.
let unknownUserHashing: Promise<string> | undefined;
const unknownUserHash = () => {
  unknownUserHashing ??= hashPassword(randomUUID());
  return unknownUserHashing;
};

export interface UserSummary {
  id: number;
  username: string;
  scopes: string[];
  createdAt: Date;
  disabledAt: Date | null;
}

export async function userList(db: Db): Promise<UserSummary[]> {
  const rows = await db
    .selectFrom("dashboard_users")
    .select(["id", "username", "scopes", "created_at", "disabled_at"])
    .orderBy("id")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    username: row.username,
    scopes: row.scopes,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  }));
}

/** Disables a user and ends their sessions; `not_found` for an unknown username. */
export async function userDisable(
  db: Db,
  username: string,
): Promise<"disabled" | "already_disabled" | "not_found"> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("dashboard_users")
      .select(["id", "disabled_at"])
      .where("username", "=", username)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return "not_found";
    if (row.disabled_at) return "already_disabled";
    await trx
      .updateTable("dashboard_users")
      .set({ disabled_at: sql`now()` })
      .where("id", "=", row.id)
      .execute();
    await trx.deleteFrom("dashboard_sessions").where("user_id", "=", row.id).execute();
    return "disabled";
  });
}
