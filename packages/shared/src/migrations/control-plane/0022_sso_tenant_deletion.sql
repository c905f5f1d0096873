-- Deleting a tenant removes its verified domains and SSO connections with its access: left
-- behind, a deleted tenant's `enforce` refused password sign-in to everyone at its domains for
-- ever, and its verified claim (the unique index) kept every other tenant from verifying them.
-- The connection's flows, codes and seen assertions go with it (on delete cascade).
grant select, delete on tenant_domains, sso_connections to oryn_provisioner;

-- Tenants deleted before this migration left theirs behind.
delete from sso_connections where tenant_id in (select id from tenants where status = 'deleted');
delete from tenant_domains where tenant_id in (select id from tenants where status = 'deleted');

-- The app's own `state` given at authorize, echoed back to its redirect_uri (its login-CSRF
-- defence: the flow cookie only stops a callback replayed in another browser).
alter table sso_flows add column app_state text check (char_length(app_state) <= 256);
