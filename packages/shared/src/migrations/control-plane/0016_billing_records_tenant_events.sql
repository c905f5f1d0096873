-- Billing records tenant.plan_changed, tenant.restricted and tenant.restored in the transaction
-- that changes the tenant row (issue 16).
grant select, insert on events to oryn_billing;
grant select, insert, update on event_sequences to oryn_billing;
