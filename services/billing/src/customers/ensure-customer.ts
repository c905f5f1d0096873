import type { Logger, Sql } from "@oryn/shared";
import { findTenantSummary } from "@oryn/shared/control-plane/tables/tenants";
import type Stripe from "stripe";
import { findAccount, isClosing, storeCustomer } from "../accounts/billing-accounts.ts";

/**
 * The tenant's Stripe customer, made if it has none yet. Called by the `createStripeCustomer`
 * job after signup and, should a tenant reach checkout first, by the request itself: both send
 * the same idempotency key (derived from the tenant id) with the same parameters, so Stripe
 * answers a repeat with the customer it already made instead of a second one.
 */
export async function ensureStripeCustomer(deps: {
  sql: Sql;
  stripe: Stripe;
  logger: Logger;
  tenantId: string;
}): Promise<string | undefined> {
  const existing = await findAccount(deps.sql, deps.tenantId);
  if (existing) return existing.stripeCustomerId;
  const tenant = await findTenantSummary(deps.sql, deps.tenantId);
  if (!tenant || isClosing(tenant.status)) return undefined;
  const customer = await deps.stripe.customers.create(
    { name: tenant.name, metadata: { tenantId: tenant.id } },
    { idempotencyKey: customerIdempotencyKey(tenant.id) },
  );
  const stored = await storeCustomer(deps.sql, tenant.id, customer.id);
  deps.logger.info({ tenantId: tenant.id, customerId: stored }, "stripe customer created");
  return stored;
}

export function customerIdempotencyKey(tenantId: string): string {
  return `oryn-customer-${tenantId}`;
}
