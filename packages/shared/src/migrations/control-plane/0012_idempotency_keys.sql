-- `Idempotency-Key` on the POSTs the gateway and billing answer themselves (signup, invitations,
-- API keys, exports, checkout, portal): the first answer, stored in the same transaction as the
-- write it answers, as workspace does in each tenant database.
create table idempotency_keys (
  -- Whose key: `user:<id>`, `api_key:<id>`, or `anonymous` (signup: the fingerprint, which
  -- covers the whole body and its password, is what ties a replay to its first request).
  scope text not null,
  key text not null check (char_length(key) between 1 and 255),
  -- HMAC-SHA-256 of method, path and canonical body under a server key: a body holding a
  -- password leaves nothing here to guess it from.
  fingerprint text not null,
  status integer not null,
  -- Never a secret: an answer that shows one (an API key, tokens) is stored without it, and the
  -- route gives it again by other means (see the routes).
  body jsonb not null,
  headers jsonb not null default '{}',
  created_at timestamptz not null default clock_timestamp(),
  primary key (scope, key)
);
create index idempotency_keys_created_at on idempotency_keys (created_at);

grant select, insert, update, delete on idempotency_keys to oryn_gateway, oryn_billing;
