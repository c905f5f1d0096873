-- SCIM 2.0 provisioning (RFC 7643/7644) and the mapping of directory groups to roles.
-- Users stay global; what a tenant's directory says about a person (its externalId, userName,
-- names, active) is kept per tenant here, so one tenant's directory never reads or writes
-- another tenant's view of the same person.

-- Bearer tokens for /scim/v2, one tenant each, stored only as SHA-256 hashes.
create table scim_tokens (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  token_hash bytea not null unique,
  token_prefix text not null,
  description text not null default '' check (char_length(description) <= 200),
  created_by uuid,
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
create index scim_tokens_tenant_id on scim_tokens (tenant_id);

-- A person as the tenant's directory knows them. `active = false` keeps the row (and the role to
-- give back) while the membership itself is removed, so the person cannot reach the tenant.
create table scim_users (
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  user_name text not null check (char_length(user_name) between 1 and 254),
  external_id text check (char_length(external_id) <= 500),
  display_name text check (char_length(display_name) <= 200),
  given_name text check (char_length(given_name) <= 200),
  family_name text check (char_length(family_name) <= 200),
  active boolean not null default true,
  -- The role the membership had when the directory took the person over (member for the ones it
  -- creates): what the person gets back when no mapped group says otherwise.
  base_role text not null default 'member' check (base_role in ('owner', 'admin', 'member')),
  -- The role the directory last gave the membership: one that differs from it was changed by
  -- hand since, and becomes the base role.
  synced_role text check (synced_role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
create unique index scim_users_user_name on scim_users (tenant_id, lower(user_name));
create index scim_users_user_id on scim_users (user_id);

create table scim_groups (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  display_name text not null check (char_length(display_name) between 1 and 256),
  external_id text check (char_length(external_id) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id)
);
create unique index scim_groups_display_name on scim_groups (tenant_id, lower(display_name));

-- Both foreign keys carry the tenant: a group can only hold the same tenant's people.
create table scim_group_members (
  tenant_id uuid not null,
  group_id uuid not null,
  user_id uuid not null,
  primary key (group_id, user_id),
  foreign key (tenant_id, group_id) references scim_groups (tenant_id, id) on delete cascade,
  foreign key (tenant_id, user_id) references scim_users (tenant_id, user_id) on delete cascade
);
create index scim_group_members_user on scim_group_members (tenant_id, user_id);

-- Which role a directory group gives, for SCIM groups and for the groups an SSO sign-in carries.
create table sso_group_roles (
  tenant_id uuid not null references tenants (id) on delete cascade,
  group_name text not null check (char_length(group_name) between 1 and 256),
  role text not null check (role in ('owner', 'admin', 'member')),
  primary key (tenant_id, group_name)
);

grant select, insert, update, delete on scim_tokens, scim_users, scim_groups, scim_group_members,
  sso_group_roles to oryn_gateway;
-- Deleting a tenant removes its directory's tokens and records with its access.
grant select, delete on scim_tokens, scim_users, scim_groups, scim_group_members, sso_group_roles
  to oryn_provisioner;
