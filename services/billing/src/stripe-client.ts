import Stripe from "stripe";

/**
 * The Stripe client. `STRIPE_API_BASE` points it at another server (tests use a local fake
 * Stripe); without it, it talks to Stripe itself.
 */
export function createStripeClient(options: {
  secretKey: string | undefined;
  apiBase: string | undefined;
}): Stripe {
  const base = options.apiBase ? new URL(options.apiBase) : undefined;
  return new Stripe(options.secretKey ?? "sk_test_unset", {
    maxNetworkRetries: 3,
    timeout: 10_000,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === "https:" ? 443 : 80)),
          protocol: base.protocol.replace(":", "") as "http" | "https",
        }
      : {}),
  });
}
