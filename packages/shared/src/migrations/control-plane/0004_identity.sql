-- Identity and access: membership versions for access-token revocation, invitations, API keys,
-- and the refresh-token grace window.

-- Every membership change (created, role changed) takes a new number from one sequence. Access
-- tokens carry the number they were issued under (`mv`); a revocation names the lowest number
-- still good for a (tenant, user), so tokens issued before a removal or a role change are
-- refused without any clock comparison, and a later re-invitation gets a fresh, higher number.
-- owner > admin > member, for comparing roles in queries (an API key against its creator's).
create function oryn_role_rank(role text) returns integer
  language sql immutable strict
  return case role when 'owner' then 3 when 'admin' then 2 when 'member' then 1 else 0 end;

create sequence membership_versions;
alter table memberships add column version bigint not null default nextval('membership_versions');

create table access_revocations (
  id bigint generated always as identity primary key,
  tenant_id uuid not null,
  user_id uuid not null,
  min_version bigint not null,
  -- The insert's own time, not its transaction's start: gateways read rows by this time, with an
  -- overlap, and a transaction that waited on a lock must not commit a row already "old".
  created_at timestamptz not null default clock_timestamp()
);
create index access_revocations_created_at on access_revocations (created_at);

-- A rotated refresh token names its successor, so a concurrent second refresh within the grace
-- window can be answered with that same successor instead of revoking the family.
alter table refresh_tokens add column replaced_by uuid references refresh_tokens (id) on delete set null;

create table invitations (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  email text not null check (email = lower(email) and char_length(email) <= 254),
  role text not null check (role in ('owner', 'admin', 'member')),
  token_hash bytea not null unique,
  invited_by uuid not null,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
create index invitations_tenant_id on invitations (tenant_id, created_at);

-- Tenant API keys: `oryn_` and 43 random characters, shown once; only the SHA-256 is kept.
create table api_keys (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 100),
  role text not null check (role in ('owner', 'admin', 'member')),
  key_hash bytea not null unique,
  -- The first characters after `oryn_`, so people can tell their keys apart in a list.
  key_prefix text not null,
  created_by uuid not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
create index api_keys_tenant_id on api_keys (tenant_id, created_at);

grant select, insert, update, delete on memberships to oryn_gateway;
grant usage on sequence membership_versions to oryn_gateway;
grant select, insert, delete on access_revocations to oryn_gateway;
grant select, insert, update on invitations to oryn_gateway;
grant select, insert, delete on api_keys to oryn_gateway;
grant update (last_used_at) on api_keys to oryn_gateway;
