import {
  ApiError,
  type Logger,
  limitsOf,
  type PaidPlanName,
  type PlanLimits,
  type PlanName,
  type PlanPrices,
  planSchema,
  type Sql,
} from "@oryn/shared";
import { findTenantSummary } from "@oryn/shared/control-plane/tables/tenants";
import type Stripe from "stripe";
import { findAccount, isClosing } from "../accounts/billing-accounts.ts";
import { ensureStripeCustomer } from "../customers/ensure-customer.ts";
import { stripeProblem } from "../stripe-client.ts";

export type SubscriptionView = {
  plan: PlanName;
  status: string;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  limits: PlanLimits;
  restricted: boolean;
  paymentGraceEndsAt: string | null;
};

/** The plan and limits the tenant has now, as billing last synced them from Stripe. */
export async function getSubscription(deps: {
  sql: Sql;
  graceSeconds: number;
  tenantId: string;
}): Promise<SubscriptionView> {
  const tenant = await findTenantSummary(deps.sql, deps.tenantId);
  if (!tenant || isClosing(tenant.status)) throw new ApiError("not_found");
  const account = await findAccount(deps.sql, deps.tenantId);
  const plan = planSchema.safeParse(tenant.plan).data ?? "free";
  const graceEnd = account?.paymentFailedAt
    ? new Date(account.paymentFailedAt.getTime() + deps.graceSeconds * 1000)
    : null;
  return {
    plan,
    status: account?.subscriptionStatus ?? "none",
    currentPeriodEnd: account?.currentPeriodEnd?.toISOString() ?? null,
    cancelAtPeriodEnd: account?.cancelAtPeriodEnd ?? false,
    limits: limitsOf(plan),
    restricted: tenant.status === "restricted",
    paymentGraceEndsAt: graceEnd?.toISOString() ?? null,
  };
}

type SessionDeps = { sql: Sql; stripe: Stripe | undefined; logger: Logger; tenantId: string };

// A subscription in one of these still runs: a second Checkout would bill the tenant twice.
const running = new Set(["active", "trialing", "past_due", "unpaid", "paused"]);

/** How long one checkout session of a tenant for a plan is handed out again. */
const checkoutReuseMs = 30 * 60_000;

/** A Stripe Checkout Session that subscribes the tenant to a paid plan. */
export async function createCheckoutSession(
  deps: SessionDeps & {
    prices: PlanPrices;
    plan: PaidPlanName;
    urls: { checkoutSuccess: string; checkoutCancel: string };
  },
): Promise<{ url: string }> {
  const stripe = requireStripe(deps.stripe);
  const price = deps.prices.priceOf(deps.plan);
  if (!price) {
    throw new ApiError("validation_failed", {
      errors: [{ path: "plan", message: `The ${deps.plan} plan is not on sale on this server` }],
    });
  }
  const account = await findAccount(deps.sql, deps.tenantId);
  if (account?.subscriptionStatus && running.has(account.subscriptionStatus)) {
    throw new ApiError("conflict", {
      detail:
        "The tenant already has a subscription; change or cancel it in the customer portal (POST /v1/billing/portal)",
    });
  }
  const customer = await customerOf(deps, stripe);
  try {
    // Checkouts for the same plan within one window get the very same session (Stripe replays
    // an idempotency key's first answer): two tabs, or two admins at once, cannot open two
    // sessions that would both be paid, before any webhook has told us of the first.
    const window = Math.floor(Date.now() / checkoutReuseMs);
    const session = await stripe.checkout.sessions.create(
      {
        mode: "subscription",
        customer,
        line_items: [{ price, quantity: 1 }],
        success_url: deps.urls.checkoutSuccess,
        cancel_url: deps.urls.checkoutCancel,
        client_reference_id: deps.tenantId,
        metadata: { tenantId: deps.tenantId, plan: deps.plan },
        subscription_data: { metadata: { tenantId: deps.tenantId } },
      },
      { idempotencyKey: `oryn-checkout-${deps.tenantId}-${deps.plan}-${window}` },
    );
    return { url: sessionUrl(session.url) };
  } catch (error) {
    throw stripeProblem(error);
  }
}

/** A Stripe Customer Portal session: payment methods, invoices, plan changes, cancelling. */
export async function createPortalSession(
  deps: SessionDeps & { returnUrl: string },
): Promise<{ url: string }> {
  const stripe = requireStripe(deps.stripe);
  const customer = await customerOf(deps, stripe);
  try {
    const session = await stripe.billingPortal.sessions.create({
      customer,
      return_url: deps.returnUrl,
    });
    return { url: sessionUrl(session.url) };
  } catch (error) {
    throw stripeProblem(error);
  }
}

function requireStripe(stripe: Stripe | undefined): Stripe {
  if (stripe) return stripe;
  throw new ApiError("upstream_unavailable", {
    status: 503,
    detail: "Stripe is not configured on this server (STRIPE_SECRET_KEY)",
  });
}

/**
 * The tenant's customer. The billing job normally made it right after signup; a tenant that is
 * quicker gets it made here, with the same idempotency key, rather than an error.
 */
async function customerOf(deps: SessionDeps, stripe: Stripe): Promise<string> {
  const tenant = await findTenantSummary(deps.sql, deps.tenantId);
  if (!tenant || isClosing(tenant.status)) throw new ApiError("not_found");
  let customer: string | undefined;
  try {
    customer = await ensureStripeCustomer({ ...deps, stripe });
  } catch (error) {
    throw stripeProblem(error);
  }
  if (!customer) throw new ApiError("not_found");
  return customer;
}

function sessionUrl(url: string | null): string {
  if (!url) throw new Error("Stripe returned a session without a url");
  return url;
}
