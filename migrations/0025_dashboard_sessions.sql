-- The dashboard's users and sessions (src/dashboard/). A user signs in with a password; anyone
-- may also sign in with an API token, and the session then acts with that token's scopes for as
-- long as the token itself is valid.
create table dashboard_users (
  id bigint generated always as identity primary key,
  username text not null unique check (username ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
  -- scrypt: `scrypt$N$r$p$salt$hash` (base64url), see src/dashboard/passwords.ts.
  password_hash text not null,
  scopes text[] not null check (
    cardinality(scopes) > 0 and scopes <@ array['read', 'operate', 'admin']::text[]
  ),
  created_at timestamptz not null default now(),
  disabled_at timestamptz
);

-- One row per signed-in browser. Only the SHA-256 of the cookie's secret is stored. A session
-- ends at the first of: idle_expires_at (pushed forward as it is used), absolute_expires_at,
-- sign-out, its user disabled, or its token revoked or expired.
create table dashboard_sessions (
  id bigint generated always as identity primary key,
  secret_hash text not null unique check (secret_hash ~ '^[0-9a-f]{64}$'),
  user_id bigint references dashboard_users (id) on delete cascade,
  token_id bigint references api_tokens (id) on delete cascade,
  -- Sent back with every state-changing request (header X-CSRF-Token or form field _csrf).
  csrf_token text not null,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  idle_expires_at timestamptz not null,
  absolute_expires_at timestamptz not null,
  user_agent text,
  check ((user_id is null) <> (token_id is null))
);

-- For cleanup_expired_sessions.
create index dashboard_sessions_absolute_expiry on dashboard_sessions (absolute_expires_at);
create index dashboard_sessions_idle_expiry on dashboard_sessions (idle_expires_at);
