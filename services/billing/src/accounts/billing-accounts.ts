import type { Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import type { TenantStatus } from "@oryn/shared/control-plane/tables/tenants";

/** The `billing_accounts` table is billing's alone: its queries are here, in the one service. */
export type BillingAccount = Pick<
  Row<"billing_accounts">,
  | "tenantId"
  | "stripeCustomerId"
  | "stripeSubscriptionId"
  | "subscriptionStatus"
  | "currentPeriodEnd"
  | "cancelAtPeriodEnd"
  | "paymentFailedAt"
  | "syncedAt"
>;

type Db = Sql | TransactionSql;

export async function findAccount(sql: Db, tenantId: string): Promise<BillingAccount | undefined> {
  const [row] = await sql<BillingAccount[]>`
    select tenant_id, stripe_customer_id, stripe_subscription_id, subscription_status,
           current_period_end, cancel_at_period_end, payment_failed_at, synced_at
    from billing_accounts where tenant_id = ${tenantId}`;
  return row;
}

export async function tenantOfCustomer(sql: Db, customerId: string): Promise<string | undefined> {
  const [row] = await sql<Pick<BillingAccount, "tenantId">[]>`
    select tenant_id from billing_accounts where stripe_customer_id = ${customerId}`;
  return row?.tenantId;
}

/**
 * Stores a tenant's customer. A tenant keeps the first customer stored for it: the Stripe
 * idempotency key makes a second one unlikely, and if one is made anyway it is left unused.
 */
export async function storeCustomer(
  sql: Db,
  tenantId: string,
  customerId: string,
): Promise<string> {
  await sql`
    insert into billing_accounts (tenant_id, stripe_customer_id)
    values (${tenantId}, ${customerId})
    on conflict do nothing`;
  const account = await findAccount(sql, tenantId);
  if (!account) throw new Error(`customer ${customerId} belongs to another tenant`);
  return account.stripeCustomerId;
}

/** What a sync read from Stripe, stored on the tenant's account. */
export async function saveSyncedState(
  tx: TransactionSql,
  tenantId: string,
  state: Omit<BillingAccount, "tenantId" | "stripeCustomerId">,
): Promise<void> {
  await tx`
    update billing_accounts set
      stripe_subscription_id = ${state.stripeSubscriptionId},
      subscription_status = ${state.subscriptionStatus},
      current_period_end = ${state.currentPeriodEnd},
      cancel_at_period_end = ${state.cancelAtPeriodEnd},
      payment_failed_at = ${state.paymentFailedAt},
      synced_at = ${state.syncedAt}
    where tenant_id = ${tenantId}`;
}

/** Live tenants (provisioning, active or restricted) with no Stripe customer yet, oldest first. */
export async function tenantsWithoutAccount(sql: Sql, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select t.id from tenants t
    where t.status in ('provisioning', 'active', 'restricted')
      and not exists (select 1 from billing_accounts a where a.tenant_id = t.id)
    order by t.created_at limit ${limit}`;
  return rows.map((row) => row.id);
}

/**
 * Active tenants whose payment grace ended more than `olderThanSeconds` ago (their delayed sync
 * was lost), with when it ended.
 */
export async function overdueAccounts(
  sql: Sql,
  options: { graceSeconds: number; olderThanSeconds: number; limit: number },
): Promise<Array<{ tenantId: string; dueAt: Date }>> {
  return sql<{ tenantId: string; dueAt: Date }[]>`
    select a.tenant_id, a.payment_failed_at + make_interval(secs => ${options.graceSeconds}) as due_at
    from billing_accounts a join tenants t on t.id = a.tenant_id
    where t.status = 'active'
      and a.payment_failed_at + make_interval(secs => ${options.graceSeconds + options.olderThanSeconds}) < now()
    limit ${options.limit}`;
}

/** Tenants billing leaves alone: on their way out, or gone. */
export function isClosing(status: TenantStatus): boolean {
  return status === "deleting" || status === "deleted";
}
