-- The report of each fleet migration (`pnpm oryn migrate`), kept so that operators read the last
-- one from the operator API and the console, not only from the terminal that ran it. A run is
-- recorded when it starts (`running`) and finished with its report; a run killed midway stays
-- `running` until the next run, which marks it `interrupted` (the fleet lock says none is live).
create table fleet_migration_runs (
  id uuid primary key default gen_random_uuid(),
  started_at timestamptz not null default clock_timestamp(),
  finished_at timestamptz,
  state text not null default 'running'
    check (state in ('running', 'succeeded', 'failed', 'interrupted')),
  target_version integer not null,
  canary integer,
  concurrency integer not null,
  -- The report the command prints with --json (FleetMigrationReport); null while running.
  report jsonb,
  -- Why the run stopped before a report (a template failed, the lock was taken).
  error text
);
create index fleet_migration_runs_started on fleet_migration_runs (started_at desc);

-- provisioner (and `pnpm oryn migrate`, which runs with its rights): records and reads the runs.
-- Nobody else: the gateway reaches them through the provisioner's operator API.
grant select, insert, update on fleet_migration_runs to oryn_provisioner;
