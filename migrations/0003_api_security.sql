-- API security: bearer tokens for the HTTP API and the audit log of state changes.

-- One row per API token. Only the SHA-256 of the secret is stored; the secret itself is shown
-- once, when the token is created. `token_prefix` (the first characters) identifies a token in
-- listings without revealing it. A revoked token keeps its row so the audit log still names it.
create table api_tokens (
  id bigint generated always as identity primary key,
  name text not null unique check (length(name) between 1 and 64),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  token_prefix text not null,
  scopes text[] not null check (
    cardinality(scopes) > 0 and scopes <@ array['read', 'operate', 'admin']::text[]
  ),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- Who did what, written in the same transaction as the change it records. `actor` is the API
-- token's name, or 'cli' for operator commands.
create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  target_ids text[] not null default '{}',
  details jsonb not null default '{}',
  outcome text not null,
  request_id text
);

-- Newest first, with `id` breaking ties, for keyset pagination over (at, id).
create index audit_log_at on audit_log (at desc, id desc);
