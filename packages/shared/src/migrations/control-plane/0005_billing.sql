-- Billing: each tenant's Stripe customer and the subscription state billing last read from
-- Stripe. `tenants.plan` and `tenants.status` stay the one place gateway and workspace read;
-- this table is billing's own record of why they are what they are.
create table billing_accounts (
  tenant_id uuid primary key references tenants (id) on delete cascade,
  stripe_customer_id text not null unique,
  -- The subscription that decides the plan (see services/billing/src/sync), null without one.
  stripe_subscription_id text,
  -- Stripe's status of that subscription (active, past_due, canceled, ...), null without one.
  subscription_status text,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  -- When billing first saw the subscription past_due or unpaid; the grace period counts from
  -- here. Cleared when it is paid again.
  payment_failed_at timestamptz,
  synced_at timestamptz,
  created_at timestamptz not null default now()
);

-- The sweep looks for events that were recorded but never processed (an enqueue lost to a
-- Redis outage, a job that spent its attempts during a Stripe outage).
create index stripe_events_unprocessed on stripe_events (received_at) where processed_at is null;

-- billing: its own table; the Stripe events it records and marks processed; a tenant's plan and
-- status (and nothing else of the tenant row); control-plane audit entries for those changes.
grant select, insert, update on billing_accounts to oryn_billing;
grant update (processed_at) on stripe_events to oryn_billing;
grant select (id, name, status, plan, created_at) on tenants to oryn_billing;
grant update (plan, status, updated_at) on tenants to oryn_billing;
grant insert on audit_events to oryn_billing;
