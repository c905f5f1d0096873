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

/** Tenants billing leaves alone: on their way out, or gone. */
export function isClosing(status: TenantStatus): boolean {
  return status === "deleting" || status === "deleted";
}
