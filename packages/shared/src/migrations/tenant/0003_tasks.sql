-- Tasks live inside projects: deleting a project deletes its tasks (and the cascade's deletes are
-- audited row by row, because row triggers fire for referential actions too).
create table tasks (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects (id) on delete cascade,
  title text not null check (char_length(title) between 1 and 500),
  status text not null default 'todo' check (status in ('todo', 'in_progress', 'done')),
  -- A user of the control plane; checked against the tenant's memberships by workspace, since a
  -- foreign key cannot reach another database.
  assignee_id uuid,
  due_at timestamptz,
  created_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp(),
  version integer not null default 1
);
-- Keyset pagination walks (created_at, id) within a project; the filters narrow that walk.
create index tasks_project_created_at_id on tasks (project_id, created_at, id);
create index tasks_project_assignee on tasks (project_id, assignee_id, created_at, id);

create trigger tasks_audit after insert or update or delete on tasks
  for each row execute function oryn_audit_row('task');

revoke all on tasks from public;
grant select, insert, update, delete on tasks to oryn_tenant;
