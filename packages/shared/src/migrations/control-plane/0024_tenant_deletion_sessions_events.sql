-- Deleting a tenant removes its sessions (IP, user agent), second-factor challenges, webhook
-- endpoints (URL, encrypted signing secrets; their deliveries and attempts go with them, on
-- delete cascade) and its event log (payloads name members), its sequence counter and its outbox
-- mark: left behind, a deleted tenant kept personal data for ever. The provisioner deletes them
-- by tenant, and needs to read nothing of them but `tenant_id` (which a `where` reads).
grant select (tenant_id), delete
  on sessions, mfa_challenges, webhook_endpoints, events, event_sequences, event_outbox_marks
  to oryn_provisioner;

-- Tenants deleted before this migration left theirs behind.
delete from sessions where tenant_id in (select id from tenants where status = 'deleted');
delete from mfa_challenges where tenant_id in (select id from tenants where status = 'deleted');
delete from webhook_endpoints where tenant_id in (select id from tenants where status = 'deleted');
delete from events where tenant_id in (select id from tenants where status = 'deleted');
delete from event_sequences where tenant_id in (select id from tenants where status = 'deleted');
delete from event_outbox_marks where tenant_id in (select id from tenants where status = 'deleted');
