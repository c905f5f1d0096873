-- Events and outbound webhooks (issue 16).
--
-- `events` is each tenant's log of what happened, numbered per tenant without gaps: the
-- gateway writes its own events (members, invitations, API keys, the tenant's plan) in the
-- transaction of the change; workspace moves the events of its tenant databases' outboxes here.
-- A `sequence` is taken from `event_sequences` by an UPDATE whose row lock is held to commit, so
-- numbers are handed out in commit order and a reader paging `after=<sequence>` never skips one
-- that commits later. A ping (sequence null) is delivered to one endpoint and listed nowhere.
create table events (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  sequence bigint,
  type text not null,
  occurred_at timestamptz not null,
  data jsonb not null,
  previous jsonb,
  recorded_at timestamptz not null default clock_timestamp(),
  -- Set once the webhooks service has made the event's deliveries; null rows are its to-do list.
  dispatched_at timestamptz,
  unique (tenant_id, sequence)
);
create index events_undispatched on events (recorded_at) where dispatched_at is null;
create index events_tenant_occurred on events (tenant_id, occurred_at);

create table event_sequences (
  tenant_id uuid primary key references tenants (id) on delete cascade,
  last bigint not null default 0
);

create table webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  url text not null,
  events text[] not null,
  description text not null default '',
  status text not null default 'enabled' check (status in ('enabled', 'paused', 'disabled')),
  -- AES-256-GCM under WEBHOOK_SECRETS_KEY, bound to the endpoint's id: a database leak alone
  -- does not reveal a secret.
  secret_ciphertext bytea not null,
  -- After a rotation the old secret signs too, until `previous_secret_expires_at`.
  previous_secret_ciphertext bytea,
  previous_secret_expires_at timestamptz,
  -- The first failure since the last success: past the retry window the endpoint is disabled.
  failing_since timestamptz,
  created_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp()
);
create index webhook_endpoints_tenant on webhook_endpoints (tenant_id, created_at, id);

-- One event owed to one endpoint: made by the fan-out, a ping or a replay.
create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
  event_id uuid not null references events (id) on delete cascade,
  reason text not null check (reason in ('event', 'ping', 'replay')),
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  -- Attempts made so far; the job of the next one is `delivery-<id>-<attempts + 1>`.
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default clock_timestamp(),
  -- Null: not yet handed to the queue (new, or held while its endpoint was paused).
  enqueued_at timestamptz,
  created_at timestamptz not null default clock_timestamp()
);
-- The fan-out may run twice for one event: the second makes nothing.
create unique index webhook_deliveries_once on webhook_deliveries (endpoint_id, event_id)
  where reason = 'event';
create index webhook_deliveries_to_enqueue on webhook_deliveries (created_at)
  where status = 'pending' and enqueued_at is null;
create index webhook_deliveries_pending on webhook_deliveries (next_attempt_at)
  where status = 'pending';

-- Every attempt, as listed by GET /v1/webhook-endpoints/{id}/deliveries.
create table webhook_attempts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
  delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
  event_id uuid not null,
  event_type text not null,
  attempt integer not null,
  status text not null check (status in ('succeeded', 'failed')),
  response_status integer,
  duration_ms integer not null,
  -- The first bytes of the answer, or why there was none (refused address, timeout).
  response_excerpt text not null default '',
  at timestamptz not null default clock_timestamp()
);
create index webhook_attempts_endpoint on webhook_attempts (endpoint_id, at desc, id desc);

do $$
begin
  create role oryn_webhooks nologin;
exception when duplicate_object or unique_violation then
  null; -- made by an earlier migration of another control-plane database
end $$;
do $$ begin
  execute format('grant connect on database %I to oryn_webhooks', current_database());
end $$;

-- webhooks: reads events and endpoints, keeps deliveries and their log, finds a tenant's admins
-- to mail when an endpoint is disabled. No tenant database, no other table.
grant select, update (dispatched_at) on events to oryn_webhooks;
grant select, update (status, failing_since, updated_at) on webhook_endpoints to oryn_webhooks;
grant select, insert, update on webhook_deliveries to oryn_webhooks;
grant insert on webhook_attempts to oryn_webhooks;
grant select on tenants, memberships, users to oryn_webhooks;

-- gateway: its own events, the endpoints API, pings and replays, the delivery log and the pull.
grant select, insert on events to oryn_gateway;
grant select, insert, update on event_sequences to oryn_gateway;
grant select, insert, update, delete on webhook_endpoints to oryn_gateway;
grant select, insert on webhook_deliveries to oryn_gateway;
grant select on webhook_attempts to oryn_gateway;

-- workspace: moves its tenants' outboxes into the log.
grant select, insert on events to oryn_workspace;
grant select, insert, update on event_sequences to oryn_workspace;
