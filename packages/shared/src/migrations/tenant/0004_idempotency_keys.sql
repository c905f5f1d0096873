-- The first answer to a POST carrying an Idempotency-Key, stored in the same transaction as the
-- write it answers, so a replay can never see a write without its answer or the reverse.
-- Not audited: it records requests, not business data.
create table idempotency_keys (
  -- Keys are scoped to the caller: two users of one tenant may pick the same key.
  principal_id uuid not null,
  key text not null check (char_length(key) between 1 and 255),
  -- SHA-256 of method, path and the canonical JSON body: another body under the key is refused.
  fingerprint text not null,
  status integer not null,
  body jsonb not null,
  headers jsonb not null default '{}',
  created_at timestamptz not null default clock_timestamp(),
  primary key (principal_id, key)
);
-- Expired keys (older than 24 h) are purged a few at a time by later writes.
create index idempotency_keys_created_at on idempotency_keys (created_at);

revoke all on idempotency_keys from public;
grant select, insert, update, delete on idempotency_keys to oryn_tenant;
