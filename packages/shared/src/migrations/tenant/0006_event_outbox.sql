-- The tenant's transactional outbox (issue 16): workspace writes an event here in the same
-- transaction as the change it describes, so a rolled-back change leaves none and a committed one
-- cannot lose it. Workspace then moves the events to the control plane's `events` log, where they
-- get the tenant's sequence number, and deletes them here; what a crash leaves behind is moved by
-- workspace's sweep. `position` keeps the order in which they were written.
create table event_outbox (
  position bigint generated always as identity primary key,
  id uuid not null unique default gen_random_uuid(),
  type text not null check (type ~ '^[a-z_]+\.[a-z_]+$'),
  occurred_at timestamptz not null default clock_timestamp(),
  data jsonb not null,
  previous jsonb
);

revoke all on event_outbox from public;
grant select, insert, delete on event_outbox to oryn_tenant;
