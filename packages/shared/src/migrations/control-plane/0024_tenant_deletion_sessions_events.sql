-- Deleting a tenant removes its sessions (IP, user agent), second-factor challenges, webhook
-- endpoints (URL, encrypted signing secrets; their deliveries and attempts go with them, on
-- delete cascade), its event log (payloads name members) and its outbox mark: left behind, a
-- deleted tenant kept personal data for ever. The provisioner deletes them by tenant, and needs
-- to read nothing of them but `tenant_id` (which a `where` reads).
grant select (tenant_id), delete
  on sessions, mfa_challenges, webhook_endpoints, events, event_outbox_marks
  to oryn_provisioner;

-- The tenant's event counter is sealed instead, when the deletion begins: an append waits for
-- the seal (the counter's row lock) or, after it, records nothing. Otherwise an append could
-- commit after the log was deleted (a workspace relay that read the outbox just before the
-- database was dropped) and stay for ever. The sealed row is a number and a time.
alter table event_sequences add column sealed_at timestamptz;
grant select (tenant_id, sealed_at), insert (tenant_id, sealed_at), update (sealed_at)
  on event_sequences to oryn_provisioner;

-- What deleting them by tenant, and their children by foreign key, looks up. Without these,
-- each event deleted scanned all of webhook_deliveries for its deliveries, each delivery
-- deleted all of webhook_attempts (an endpoint's deletion through the API too), and each
-- tenant's sessions and challenges their whole tables. Built in the migration's transaction,
-- which holds off writes to these tables while it runs.
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id);
create index webhook_deliveries_event on webhook_deliveries (event_id);
create index webhook_attempts_delivery on webhook_attempts (delivery_id);
create index sessions_tenant_user on sessions (tenant_id, user_id);
create index mfa_challenges_tenant on mfa_challenges (tenant_id);

-- Tenants deleted before this migration left theirs behind.
delete from sessions where tenant_id in (select id from tenants where status = 'deleted');
delete from mfa_challenges where tenant_id in (select id from tenants where status = 'deleted');
delete from webhook_endpoints where tenant_id in (select id from tenants where status = 'deleted');
delete from events where tenant_id in (select id from tenants where status = 'deleted');
insert into event_sequences (tenant_id, sealed_at)
select id, now() from tenants where status = 'deleted'
on conflict (tenant_id) do update set sealed_at = coalesce(event_sequences.sealed_at, now());
delete from event_outbox_marks where tenant_id in (select id from tenants where status = 'deleted');
