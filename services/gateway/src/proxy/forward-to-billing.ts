import type { App, AppEnv } from "@oryn/shared";
import type { Context } from "hono";
import type { GatewayDeps } from "../deps.ts";
import { forwardOptions } from "./forwarding.ts";

/** The subscription routes, and Stripe's webhook. */
export function registerForwardToBilling(app: App, deps: GatewayDeps): void {
  const toBilling = async (c: Context<AppEnv>) =>
    deps.upstreams.billing.forward(c, await forwardOptions(deps, c));
  app.all("/v1/billing/*", toBilling);

  // Stripe signs the raw body: the billing service verifies it, so it is forwarded byte for byte.
  app.post("/webhooks/stripe", (c) =>
    deps.upstreams.billing.forward(c, { clientIp: deps.clientIp(c) }),
  );
}
