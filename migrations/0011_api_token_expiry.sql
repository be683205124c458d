-- An API token may expire. From `expires_at` on (by the database's clock) the API refuses it;
-- null: it lasts until revoked.
alter table api_tokens
  add column expires_at timestamptz,
  add constraint api_tokens_expires_after_creation check (expires_at > created_at);
