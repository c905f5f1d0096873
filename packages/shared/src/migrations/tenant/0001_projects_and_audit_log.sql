-- A tenant's own database. Tables are owned by the platform's admin role; the tenant's login
-- role reaches them only through the privileges granted to the group role `oryn_tenant`.

create table projects (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  description text not null default '' check (char_length(description) <= 10000),
  status text not null default 'active' check (status in ('active', 'archived')),
  created_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp(),
  version integer not null default 1
);
-- Keyset pagination walks (created_at, id).
create index projects_created_at_id on projects (created_at, id);

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default clock_timestamp(),
  actor_id uuid,
  request_id text,
  action text not null check (action in ('created', 'updated', 'deleted')),
  entity text not null,
  entity_id uuid not null,
  before jsonb,
  after jsonb
);
create index audit_log_entity on audit_log (entity, entity_id);

-- Writes the audit row in the same transaction as the change, so no code path can forget it.
-- Actor and request id come from transaction-local settings the workspace sets. SECURITY
-- DEFINER: the tenant role itself has no INSERT on audit_log.
create function oryn_audit_row() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  insert into public.audit_log (actor_id, request_id, action, entity, entity_id, before, after)
  values (
    nullif(current_setting('oryn.actor_id', true), '')::uuid,
    nullif(current_setting('oryn.request_id', true), ''),
    case tg_op when 'INSERT' then 'created' when 'UPDATE' then 'updated' else 'deleted' end,
    tg_argv[0],
    case tg_op when 'DELETE' then old.id else new.id end,
    case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end,
    case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end
  );
  return null;
end $$;

create trigger projects_audit after insert or update or delete on projects
  for each row execute function oryn_audit_row('project');

-- Append-only even for the table's owner: privileges alone would not stop the owner.
create function oryn_audit_log_is_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
end $$;

create trigger audit_log_no_update_or_delete before update or delete on audit_log
  for each row execute function oryn_audit_log_is_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function oryn_audit_log_is_append_only();

revoke all on projects, audit_log from public;
grant select, insert, update, delete on projects to oryn_tenant;
grant select on audit_log to oryn_tenant;
