-- The control plane: who the tenants are, who may act for them, and where their data lives.
-- Tenant business data never lives here; it is in each tenant's own database.

-- Tenant roles must not reach the control plane even though PUBLIC may connect by default.
do $$ begin
  execute format('revoke connect on database %I from public', current_database());
end $$;

create table tenants (
  id uuid primary key,
  slug text not null unique check (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
  name text not null check (char_length(name) between 1 and 200),
  status text not null default 'provisioning' check (
    status in ('provisioning', 'provisioning_failed', 'active', 'restricted', 'deleting', 'deleted')
  ),
  plan text not null default 'free',
  provisioning_step text,
  provisioning_attempts integer not null default 0,
  provisioning_error text,
  schema_version integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  activated_at timestamptz
);

-- Emails are stored lower-cased by the application; the check keeps it that way.
create table users (
  id uuid primary key,
  email text not null unique check (email = lower(email) and char_length(email) <= 254),
  name text not null check (char_length(name) between 1 and 200),
  password_hash text not null,
  created_at timestamptz not null default now()
);

create table memberships (
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
create index memberships_user_id on memberships (user_id);

-- Opaque refresh tokens, stored only as SHA-256 hashes, single-use, rotated within a family.
create table refresh_tokens (
  id uuid primary key,
  family_id uuid not null,
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  token_hash bytea not null unique,
  expires_at timestamptz not null,
  used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
create index refresh_tokens_family_id on refresh_tokens (family_id);

-- Stripe events, recorded once by id before anything acts on them.
create table stripe_events (
  id text primary key,
  type text not null,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz
);

-- What happened in the control plane, by whom, from where.
create table audit_events (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  tenant_id uuid,
  actor_id uuid,
  action text not null,
  entity text not null,
  entity_id text,
  ip text,
  request_id text,
  data jsonb not null default '{}'
);
create index audit_events_tenant_at on audit_events (tenant_id, at);
