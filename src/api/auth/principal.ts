/** Who is calling the API: an API token, or a dashboard user signed in with a password. */
export const scopes = ["read", "operate", "admin"] as const;
export type Scope = (typeof scopes)[number];

export interface Principal {
  /** One identity per caller, for the rate limit: `token:<id>` or `user:<id>`. */
  key: string;
  /** The API token acting; null for a dashboard user signed in with a password. */
  tokenId: number | null;
  /** Recorded in the audit log as "who": the token's name, or `user:<username>`. */
  name: string;
  scopes: Scope[];
}
