-- The warm pool: tenant databases cloned from the template and migrated ahead of demand, so a
-- signup renames one instead of waiting for CREATE DATABASE (which PostgreSQL serialises). The
-- row is written before the database is created and removed only after the database is gone or
-- has become a tenant's, so every spare on a server is known here: cleanup, the reconciler and
-- fleet migrations find them by this table, never by guessing names.
create table spare_databases (
  id uuid primary key default gen_random_uuid(),
  server_id uuid not null references database_servers (id),
  -- Opaque and made by the provisioner, never by a tenant: oryn_spare_ and 32 hex digits.
  name text not null unique check (name ~ '^oryn_spare_[0-9a-f]{32}$'),
  -- creating: row written, database being cloned or migrated; ready: may be claimed.
  state text not null default 'creating' check (state in ('creating', 'ready')),
  schema_version integer not null default 0,
  -- Set by a claim, under the tenant's row lock; the row goes once the rename is done. A retried
  -- job finds its claim here and finishes the same rename.
  tenant_id uuid unique references tenants (id),
  created_at timestamptz not null default now()
);
create index spare_databases_ready on spare_databases (server_id) where state = 'ready' and tenant_id is null;

grant select, insert, delete on spare_databases to oryn_provisioner;
-- Only what a refill, a claim and a fleet migration change; where a spare is and what it is
-- called are fixed once the row is written.
grant update (state, schema_version, tenant_id) on spare_databases to oryn_provisioner;
