import {
  ApiError,
  type App,
  type AppEnv,
  createApp,
  registerBearerScheme,
  registerOperationalRoutes,
  requireJsonBodies,
  useCommonHandlers,
} from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { registerAccounts } from "./accounts/index.ts";
import { registerApiKeys } from "./api-keys/index.ts";
import { identify } from "./auth/identify.ts";
import { registerAuth } from "./auth/index.ts";
import { guardCookieSessions } from "./auth/session-cookie.ts";
import { registerConsole } from "./console/serve-console.ts";
import type { GatewayDeps } from "./deps.ts";
import { registerDocs } from "./docs/index.ts";
import { registerDomains } from "./domains/index.ts";
import { edgeCors, edgeSecurityHeaders } from "./edge/headers.ts";
import { registerEdgeLimits } from "./edge/limits.ts";
import { registerEvents } from "./events/index.ts";
import { registerExports } from "./exports/index.ts";
import { registerGroupRoles } from "./group-roles/index.ts";
import { registerInvitations } from "./invitations/index.ts";
import { registerMe } from "./me/index.ts";
import { registerMembers } from "./members/index.ts";
import { registerMfa } from "./mfa/index.ts";
import { requireMfaWhereTenantDoes } from "./mfa/policy.ts";
import { registerProxy } from "./proxy/index.ts";
import { rateLimit } from "./rate-limit/rate-limits.ts";
import { registerScim } from "./scim/index.ts";
import { registerSecurityLog } from "./security-log/index.ts";
import { registerSessions } from "./sessions/index.ts";
import { registerSignup } from "./signup/index.ts";
import { registerSso } from "./sso/index.ts";
import { samlAcsPath } from "./sso/settings.ts";
import { registerTenant } from "./tenant/index.ts";
import { registerTokens } from "./tokens/index.ts";
import { registerWebhookEndpoints } from "./webhook-endpoints/index.ts";

/**
 * The public app. Its /readyz and /metrics are not here: they are on the operations app
 * (`createGatewayOperationsApp`), on a port that is not published.
 */
export function createGatewayApp(deps: GatewayDeps): App {
  const app = createApp();
  // The public edge makes its own request ids: a client must not choose the one in audit rows.
  useCommonHandlers(app, { ...deps, trustIncomingRequestId: false });
  app.use("*", edgeSecurityHeaders());
  // Before the limits: a browser's preflight is answered here and costs nobody anything.
  if (deps.config.CORS_ORIGINS.length > 0) app.use("*", edgeCors(deps.config.CORS_ORIGINS));

  // The forwarded routes' requests take proxy/lean-proxy.ts instead of this chain when served by
  // main.ts: a rule added here for them must be called there too (its test compares both ways).
  // Counted first, so every /v1 answer, a refused body included, carries the rate-limit headers.
  app.use("/v1/*", identify(deps));
  app.use("/v1/*", rateLimit(deps.rateLimits, deps.clientIp, deps.logger));
  registerEdgeLimits(app, deps);
  // Before any route, forwarded ones included: a tenant's MFA requirement holds everywhere.
  app.use("/v1/*", requireMfaWhereTenantDoes(deps.mfaPolicy));
  // Before the body is read: a cross-site form posting to a cookie route is refused as such.
  app.use("/v1/*", guardCookieSessions());

  const bodyLimited = bodyLimit({
    maxSize: deps.config.BODY_LIMIT_BYTES,
    onError: () => {
      throw new ApiError("payload_too_large", {
        detail: `Bodies are limited to ${deps.config.BODY_LIMIT_BYTES} bytes`,
      });
    },
  });
  // GET and HEAD carry no body to limit, and hono's limiter asks for one all the same, which
  // makes @hono/node-server build a full web Request (3-4% of a proxied GET in the profile).
  const limitBody: MiddlewareHandler<AppEnv> = (c, next) =>
    c.req.method === "GET" || c.req.method === "HEAD" ? next() : bodyLimited(c, next);
  app.use("/v1/*", limitBody);
  app.use("/webhooks/*", limitBody);
  // The SAML ACS is posted by the browser as an HTML form, the only body of another type.
  app.use("/v1/*", requireJsonBodies({ formPaths: [samlAcsPath] }));

  registerSignup(app, deps);
  registerAuth(app, deps);
  registerAccounts(app, deps);
  registerMe(app, deps);
  registerTenant(app, deps);
  registerExports(app, deps);
  registerMembers(app, deps);
  registerSessions(app, deps);
  registerMfa(app, deps);
  registerInvitations(app, deps);
  registerApiKeys(app, deps);
  registerScim(app, deps);
  registerGroupRoles(app, deps);
  registerSecurityLog(app, deps);
  registerEvents(app, deps);
  registerWebhookEndpoints(app, deps);
  registerDomains(app, deps);
  registerSso(app, deps);
  registerProxy(app, deps);
  registerTokens(app, deps);
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  registerBearerScheme(app);
  const documentConfig = {
    openapi: "3.1.0",
    info: {
      title: "Oryn API",
      version: "1.0.0",
      description:
        "The public API of Oryn. Errors are application/problem+json (RFC 9457) with a stable `code`. " +
        "Every operation's `x-oryn-min-role` names the lowest role that may call it. " +
        "SCIM 2.0 provisioning (RFC 7644) is served at `/scim/v2`, outside this document, with a token from `POST /v1/scim/tokens`.",
    },
    // Relative: the document is served by the gateway it describes, whatever its public address.
    servers: [{ url: "/", description: "The gateway serving this document" }],
  };
  registerDocs(app, deps, () => app.getOpenAPI31Document(documentConfig));
  // Last: the console takes every GET the API and its documentation did not.
  registerConsole(app, deps.config.CONSOLE_DIR);
  return app;
}

/**
 * /healthz, /readyz and /metrics on the internal operations port (OPS_PORT): readiness names our
 * dependencies and metrics describe our traffic, neither of which the internet should read.
 */
export function createGatewayOperationsApp(deps: GatewayDeps): App {
  const app = createApp();
  useCommonHandlers(app, deps);
  registerOperationalRoutes(app, {
    metrics: deps.metrics,
    checks: {
      postgres: () => deps.sql`select 1`,
      redis: () => deps.redis.ping(),
      // Not workspace: with every workspace replica down the gateway still signs people up and
      // in and forwards billing, so taking every gateway out of rotation would turn a workspace
      // outage into a whole-platform one. Ejected replicas are retried by traffic instead.
    },
  });
  return app;
}
