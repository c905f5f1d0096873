-- Which tenants' outboxes the sweep must look at. A workspace marks a tenant before it writes
-- there (once per sweep period per process, so nearly never on the hot path), and the sweep
-- visits only marked tenants: visiting every active tenant every 30 s opened a connection to
-- each of them, thousands of databases for nothing, and pushed hot tenants out of the pools.
-- The mark commits before the tenant's write does, so events a crash strands between commit and
-- relay are always under a mark.
create table event_outbox_marks (
  tenant_id uuid primary key references tenants (id) on delete cascade,
  marked_at timestamptz not null default clock_timestamp()
);

-- Outboxes written before marks existed: each looked at once.
insert into event_outbox_marks (tenant_id)
select id from tenants where status in ('active', 'restricted') and schema_version >= 6;

grant select, insert, update, delete on event_outbox_marks to oryn_workspace;
