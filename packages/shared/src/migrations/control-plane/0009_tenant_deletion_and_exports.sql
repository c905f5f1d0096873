-- Deleting a tenant (issue 6): DELETE /v1/tenant marks it `deleting` with a deadline; after it the
-- provisioner drops its database and role and marks it `deleted`. Within the grace period an
-- operator can restore it to the status it had. The tenants row and its audit_events stay.
alter table tenants
  add column delete_after timestamptz,
  -- What a restore goes back to (a restricted tenant stays restricted).
  add column status_before_deletion text check (
    status_before_deletion in ('provisioning', 'provisioning_failed', 'active', 'restricted')
  ),
  -- Set by the deletion job before it removes anything: from then on a restore is refused (the
  -- job may have dropped part of the data before a crash) and the job is run again instead.
  add column deletion_started_at timestamptz,
  -- A `deleting` row without a deadline (made by hand) is never due: nothing is dropped for it.
  add column deleted_at timestamptz;
-- The provisioner's sweep looks for tenants past their deadline (a lost delayed job must not keep
-- data forever).
create index tenants_delete_after on tenants (delete_after) where status = 'deleting';

-- An owner's export of the tenant's data: the provisioner writes the archive under EXPORT_DIR,
-- named by this row's ids only, and the gateway streams it back.
create table tenant_exports (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  requested_by uuid not null,
  status text not null default 'pending' check (status in ('pending', 'running', 'ready', 'failed', 'expired')),
  size_bytes bigint,
  sha256 text,
  -- Operators' reason for a failure (the tenant sees only `failed`).
  error text,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  expires_at timestamptz not null
);
create index tenant_exports_tenant on tenant_exports (tenant_id, created_at);
create index tenant_exports_expiry on tenant_exports (expires_at) where status <> 'expired';

-- gateway: request a deletion (status, deadline, what to restore to) and nothing else of the
-- tenant row; request and read exports.
grant update (status, delete_after, status_before_deletion, updated_at) on tenants to oryn_gateway;
grant select, insert on tenant_exports to oryn_gateway;

-- provisioner (and `pnpm oryn tenants delete|restore`, which run with its rights): end every
-- session of a deleted tenant, remove its credentials and memberships (users stay), give a
-- restored tenant's members fresh membership versions, audit, and run exports.
grant insert on audit_events to oryn_provisioner;
grant select, delete on api_keys, invitations, memberships to oryn_provisioner;
grant update (version) on memberships to oryn_provisioner;
grant usage on sequence membership_versions to oryn_provisioner;
grant select, delete on refresh_tokens to oryn_provisioner;
grant update (revoked_at) on refresh_tokens to oryn_provisioner;
grant insert on access_revocations to oryn_provisioner;
grant select, update on tenant_exports to oryn_provisioner;
