-- Tenant databases live on several PostgreSQL servers. The registry holds where each server is
-- and how many tenants it may take, never credentials: the provisioner logs in to every server
-- with the user and password of TENANT_DATABASE_URL (from its environment), workspace as each
-- tenant's own role.
create table database_servers (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (name ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
  host text not null check (char_length(host) between 1 and 253),
  port integer not null check (port between 1 and 65535),
  -- Placement fills servers in proportion to this: tenants / capacity, least first.
  capacity integer not null check (capacity > 0),
  -- draining: keeps its tenants, takes no new ones.
  state text not null default 'accepting' check (state in ('accepting', 'draining')),
  created_at timestamptz not null default now(),
  unique (host, port)
);

-- Null: a tenant from before servers were registered, on the TENANT_DATABASE_URL server.
alter table tenants add column server_id uuid references database_servers (id);
create index tenants_server_id on tenants (server_id);

-- workspace: where a tenant's server is, to connect to it; nothing else of the registry.
grant select (id, host, port) on database_servers to oryn_workspace;

-- provisioner (and `pnpm oryn servers`, which runs with its rights): the registry and placement.
grant select, insert, update on database_servers to oryn_provisioner;
