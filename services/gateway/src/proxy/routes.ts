import { type App, type AppEnv, principalOf } from "@oryn/shared";
import type { Context } from "hono";
import type { GatewayDeps } from "../deps.ts";

/**
 * Which upstream serves which public paths: the routes below, and the merged OpenAPI document,
 * which takes exactly these paths from each upstream's own document.
 */
export const upstreamPaths = {
  workspace: ["/v1/projects", "/v1/audit-log"],
  billing: ["/v1/billing", "/webhooks/stripe"],
} as const;

export function servedBy(upstream: keyof typeof upstreamPaths, path: string): boolean {
  return upstreamPaths[upstream].some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** Paths the gateway forwards, and to which upstream. Each upstream verifies the token again. */
export function registerProxyRoutes(app: App, deps: GatewayDeps): void {
  const toWorkspace = async (c: Context<AppEnv>) =>
    deps.upstreams.workspace.forward(c, await forwardOptions(deps, c));
  for (const prefix of upstreamPaths.workspace) {
    app.all(prefix, toWorkspace);
    app.all(`${prefix}/*`, toWorkspace);
  }

  const toBilling = async (c: Context<AppEnv>) =>
    deps.upstreams.billing.forward(c, await forwardOptions(deps, c));
  app.all("/v1/billing/*", toBilling);

  // Stripe signs the raw body: the billing service verifies it, so it is forwarded byte for byte.
  app.post("/webhooks/stripe", (c) =>
    deps.upstreams.billing.forward(c, { clientIp: deps.clientIp(c) }),
  );
}

/**
 * Upstreams verify JWTs only: a request made with an API key travels with a short-lived access
 * token standing for the key, so the key itself never leaves the gateway. Answers 401 here for a
 * request without a good credential.
 */
async function forwardOptions(deps: GatewayDeps, c: Context<AppEnv>) {
  const principal = principalOf(c);
  const clientIp = deps.clientIp(c);
  if (principal.kind !== "api_key") return { clientIp };
  return { clientIp, authorization: `Bearer ${await deps.apiKeys.upstreamToken(principal)}` };
}
