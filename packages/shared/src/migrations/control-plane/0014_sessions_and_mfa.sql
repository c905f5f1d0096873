-- Sessions people can see and end, TOTP second factors with recovery codes, and a tenant's
-- requirement that its members use one.

-- A session is a refresh-token family (its id is the family id): where it was opened from and
-- when it was last refreshed. Access tokens carry the id (`sid`), so ending a session (logout,
-- DELETE /v1/me/sessions/{id}, a replayed refresh token) refuses its access tokens too: gateways
-- poll `ended_at` as they poll access_revocations.
create table sessions (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now(),
  user_agent text check (char_length(user_agent) <= 512),
  ip text check (char_length(ip) <= 64),
  -- The statement's own time, not its transaction's start, for the same reason as
  -- access_revocations.created_at: gateways read by this time, with an overlap.
  ended_at timestamptz
);
create index sessions_user on sessions (user_id, last_used_at);
create index sessions_ended_at on sessions (ended_at) where ended_at is not null;

-- Families alive before sessions existed get a row, so they are listed and can be ended.
insert into sessions (id, tenant_id, user_id, created_at, last_used_at)
select family_id, (array_agg(tenant_id))[1], (array_agg(user_id))[1], min(created_at),
       max(coalesce(used_at, created_at))
from refresh_tokens
group by family_id
having bool_or(revoked_at is null and expires_at > now());

-- One TOTP factor per person, active once confirmed. The secret is encrypted (AES-256-GCM, key
-- MFA_ENCRYPTION_KEY, the user id as associated data). `last_used_step` is the newest 30 s step a
-- code was accepted for: a code is refused for any step not after it, so none is replayed.
create table totp_factors (
  user_id uuid primary key references users (id) on delete cascade,
  secret_ciphertext bytea not null,
  confirmed_at timestamptz,
  last_used_step bigint,
  created_at timestamptz not null default now()
);

-- Ten single-use codes per person, shown once; only their SHA-256 is kept.
create table recovery_codes (
  user_id uuid not null references users (id) on delete cascade,
  code_hash bytea not null,
  used_at timestamptz,
  primary key (user_id, code_hash)
);

-- A login that passed the password and awaits the second factor: the opaque `mfaToken` is kept
-- as its SHA-256, names the membership chosen at login, and is spent by the login it finishes.
create table mfa_challenges (
  id uuid primary key,
  token_hash bytea not null unique,
  user_id uuid not null references users (id) on delete cascade,
  tenant_id uuid not null references tenants (id) on delete cascade,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index mfa_challenges_expires_at on mfa_challenges (expires_at);

alter table tenants add column mfa_required boolean not null default false;

grant select, insert, update on sessions to oryn_gateway;
grant select, insert, update, delete on totp_factors, recovery_codes to oryn_gateway;
grant select, insert, update, delete on mfa_challenges to oryn_gateway;
grant update (mfa_required) on tenants to oryn_gateway;
