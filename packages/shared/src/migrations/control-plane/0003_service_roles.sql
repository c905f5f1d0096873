-- Least privilege in the control plane: one NOLOGIN role per service, holding exactly what that
-- service's queries need. Operators give each service a login role that is a member of its own
-- (e.g. CREATE ROLE gateway_app LOGIN PASSWORD '...' IN ROLE oryn_gateway) and put it in that
-- service's DATABASE_URL; only `pnpm migrate` needs the owner. The roles are server-wide, so
-- another control-plane database on the same server shares them.

do $$
declare
  service_role text;
begin
  foreach service_role in array array['oryn_gateway', 'oryn_workspace', 'oryn_billing', 'oryn_provisioner'] loop
    begin
      execute format('create role %I nologin', service_role);
    exception when duplicate_object or unique_violation then
      null; -- made by an earlier migration of another control-plane database
    end;
    -- CONNECT was revoked from PUBLIC in 0001.
    execute format('grant connect on database %I to %I', current_database(), service_role);
  end loop;
end $$;

-- gateway: signup, login, refresh and logout, GET /v1/tenant, the control-plane audit.
grant select, insert on tenants, users, memberships to oryn_gateway;
grant select, insert, update on refresh_tokens to oryn_gateway;
grant insert on audit_events to oryn_gateway;

-- workspace: a tenant's status, nothing else.
grant select on tenants to oryn_workspace;

-- billing: recording Stripe events.
grant select, insert on stripe_events to oryn_billing;

-- provisioner: a tenant's provisioning progress and state.
grant select, update on tenants to oryn_provisioner;
