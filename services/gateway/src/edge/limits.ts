import type { App, AppEnv } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import type { GatewayDeps } from "../deps.ts";
import { createWindow } from "./window.ts";

/**
 * Limits of the edge besides the /v1 buckets (rate-limit/): what one IP or everyone together may
 * cost where a request is expensive or anonymous. Registered before the routes they guard.
 */
export function registerEdgeLimits(app: App, deps: GatewayDeps): void {
  const { config, redis } = deps;
  const prefix = `${config.REDIS_PREFIX}:rl`;

  // Every signup is a role and a database: the per-IP limit alone lets many addresses add up to
  // any number. Counted before the signup runs (concurrent ones cannot slip past together);
  // given back when it was refused for its shape, which created nothing. Conflicts (a taken slug
  // or email) stay counted, so the global budget also bounds probing for them.
  const signups = createWindow({
    redis,
    keyPrefix: `${prefix}:signups`,
    quota: config.SIGNUPS_PER_MINUTE,
    windowSeconds: 60,
    what: "signups from all clients",
  });
  // With SIGNUP_CONFIRMATION=email the database is made at the confirmation, which counts too.
  const countSignup: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method !== "POST") return next();
    await signups.take("all");
    await next();
    if ([400, 413, 415, 422].includes(c.res.status)) await signups.give("all");
  };
  app.use("/v1/signup", countSignup);
  app.use("/v1/signup/confirm", countSignup);

  // The document and the reference page are public and anonymous; the document is served from
  // memory now, yet a client fetching it in a loop has no reason to.
  const docs = createWindow({
    redis,
    keyPrefix: `${prefix}:docs`,
    quota: config.DOCS_PER_IP_PER_MINUTE,
    windowSeconds: 60,
    what: "requests for the API reference",
  });
  const limitDocs: MiddlewareHandler<AppEnv> = async (c, next) => {
    await docs.take(deps.clientIp(c));
    await next();
  };
  app.use("/openapi.json", limitDocs);
  // Also matches `/docs` itself (hono's wildcard takes the bare prefix).
  app.use("/docs/*", limitDocs);

  // Stripe's webhook endpoint must take every event Stripe sends, so only refusals count: an IP
  // whose requests keep failing the signature check (billing answers 400) is refused at the edge
  // once over the limit, before billing spends an HMAC on it. Counted here, not in billing:
  // billing sees the gateway's address, not the client's.
  const refusals = createWindow({
    redis,
    keyPrefix: `${prefix}:webhook-refusals`,
    quota: config.WEBHOOK_REFUSALS_PER_IP_PER_MINUTE,
    windowSeconds: 60,
    what: "refused webhook deliveries from one IP",
  });
  app.use("/webhooks/*", async (c, next) => {
    const ip = deps.clientIp(c);
    await refusals.check(ip);
    await next();
    if (c.res.status >= 400 && c.res.status < 500) await refusals.take(ip).catch(() => undefined);
  });
}
