import { isUuid } from "@oryn/shared";
import { findTenantSummary } from "@oryn/shared/control-plane/tables/tenants";
import type Stripe from "stripe";
import { storeCustomer, tenantOfCustomer } from "../accounts/billing-accounts.ts";
import { type SyncDeps, type SyncOutcome, syncTenantBilling } from "../sync/sync-tenant.ts";
import { findStripeEvent, markProcessed } from "./stripe-events.ts";

/** The events that can change a tenant's plan or access; others are recorded and set aside. */
export const handledEventTypes = new Set([
  "checkout.session.completed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.paused",
  "customer.subscription.resumed",
  "invoice.paid",
  "invoice.payment_failed",
]);

export type EventOutcome =
  | SyncOutcome
  | { result: "not_recorded" | "ignored" | "not_our_customer" };

/**
 * Processes one recorded event. The payload only says which customer to look at: the state comes
 * from Stripe, read again now (see syncTenantBilling), so a duplicate, late or reordered event
 * cannot set an old state.
 */
export async function processStripeEvent(deps: SyncDeps, eventId: string): Promise<EventOutcome> {
  const event = await findStripeEvent(deps.sql, eventId);
  // Only verified events are recorded, so a job for an id that is not here acts on nothing.
  if (!event) return { result: "not_recorded" };
  if (event.processedAt) return { result: "already_processed" };
  const customerId = handledEventTypes.has(event.type) ? customerOf(event.payload) : undefined;
  if (!customerId) {
    await markProcessed(deps.sql, eventId);
    return { result: "ignored" };
  }
  const tenantId = await tenantOf(deps, customerId);
  if (!tenantId) {
    deps.logger.warn({ eventId, customerId }, "stripe event for a customer that is no tenant's");
    await markProcessed(deps.sql, eventId);
    return { result: "not_our_customer" };
  }
  return syncTenantBilling(deps, tenantId, { eventId, cause: eventId });
}

function customerOf(event: Stripe.Event): string | undefined {
  const object = event.data?.object as { customer?: string | { id: string } | null } | undefined;
  const customer = object?.customer;
  return typeof customer === "string" ? customer : (customer?.id ?? undefined);
}

/**
 * The tenant of a customer: from our table, or, for a customer Stripe made for us whose row we
 * never stored (the job died between the two), from the customer's `metadata.tenantId` as
 * Stripe holds it, never as the event says.
 */
async function tenantOf(deps: SyncDeps, customerId: string): Promise<string | undefined> {
  const known = await tenantOfCustomer(deps.sql, customerId);
  if (known || !deps.stripe) return known;
  const customer = await deps.stripe.customers.retrieve(customerId);
  const tenantId = customer.deleted ? undefined : customer.metadata?.tenantId;
  if (!tenantId || !isUuid(tenantId) || !(await findTenantSummary(deps.sql, tenantId))) {
    return undefined;
  }
  const stored = await storeCustomer(deps.sql, tenantId, customerId).catch(() => undefined);
  return stored === customerId ? tenantId : undefined;
}
