import { ApiError } from "@oryn/shared";
import Stripe from "stripe";

/**
 * The Stripe client. `STRIPE_API_BASE` points it at another server (tests use a local fake
 * Stripe); without it, it talks to Stripe itself. The client retries connection errors, 409,
 * 429 and 5xx answers itself (with Stripe's idempotency keys on POSTs, so a retried create
 * cannot create twice); jobs retry with backoff after that.
 */
export function createStripeClient(options: {
  secretKey: string | undefined;
  apiBase: string | undefined;
  maxNetworkRetries?: number;
  timeoutMs?: number;
}): Stripe {
  const base = options.apiBase ? new URL(options.apiBase) : undefined;
  return new Stripe(options.secretKey ?? "sk_test_unset", {
    maxNetworkRetries: options.maxNetworkRetries ?? 3,
    timeout: options.timeoutMs ?? 10_000,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === "https:" ? 443 : 80)),
          protocol: base.protocol.replace(":", "") as "http" | "https",
        }
      : {}),
  });
}

/**
 * A Stripe failure during a request, as the caller should see it: Stripe away or slow is an
 * upstream outage (503); Stripe refusing what we sent is our fault, not the caller's (502).
 */
export function stripeProblem(error: unknown): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    return new ApiError("upstream_unavailable", {
      status: 502,
      detail: "Stripe refused the request",
      cause: error,
    });
  }
  return new ApiError("upstream_unavailable", {
    status: 503,
    detail: "Stripe is unavailable; try again shortly",
    headers: { "retry-after": "5" },
    cause: error,
  });
}
