/** Who is calling the API, as established by the bearer token. */
export const scopes = ["read", "operate", "admin"] as const;
export type Scope = (typeof scopes)[number];

export interface Principal {
  tokenId: number;
  /** The token's name, recorded in the audit log as "who". */
  name: string;
  scopes: Scope[];
}
