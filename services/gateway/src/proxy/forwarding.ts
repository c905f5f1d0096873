import { type AppEnv, type Principal, principalOf } from "@oryn/shared";
import type { Context } from "hono";
import type { GatewayDeps } from "../deps.ts";

/**
 * Which upstream serves which public paths: the forwarding routes, and the merged OpenAPI
 * document, which takes exactly these paths from each upstream's own document.
 */
export const upstreamPaths = {
  workspace: ["/v1/projects", "/v1/audit-log"],
  billing: ["/v1/billing", "/webhooks/stripe"],
  provisioner: ["/v1/operator"],
} as const;

export function servedBy(upstream: keyof typeof upstreamPaths, path: string): boolean {
  return upstreamPaths[upstream].some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * Upstreams verify JWTs only: a request made with an API key travels with a short-lived access
 * token standing for the key, so the key itself never leaves the gateway. Answers 401 here for a
 * request without a good credential.
 */
export async function forwardOptions(deps: GatewayDeps, c: Context<AppEnv>) {
  const principal = principalOf(c);
  const clientIp = deps.clientIp(c);
  // The tenant picks the replica (workspace's pools are per tenant: see createUpstream).
  return {
    clientIp,
    authorization: await upstreamAuthorization(deps, principal),
    tenant: principal.tenantId,
  };
}

/** The `Authorization` the upstream gets: the client's own, or a JWT standing for an API key. */
export async function upstreamAuthorization(
  deps: Pick<GatewayDeps, "apiKeys">,
  principal: Principal,
): Promise<string | undefined> {
  if (principal.kind !== "api_key") return undefined;
  return `Bearer ${await deps.apiKeys.upstreamToken(principal)}`;
}
