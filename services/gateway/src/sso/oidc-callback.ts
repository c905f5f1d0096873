import { createRoute, z } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import { getCookie } from "hono/cookie";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { backToApp, backToAppAnswer } from "./back-to-app.ts";
import { flowCookie, oidcCallbackPath } from "./settings.ts";
import { finishOidcSignIn } from "./sign-in.ts";

const param = z.string().max(4000).optional();

const route = createRoute({
  method: "get",
  operationId: "finishOidcSignIn",
  path: oidcCallbackPath,
  tags: ["Enterprise sign-in"],
  summary: "Where the OIDC identity provider sends the browser back; redirects to the app",
  description:
    "302 to the sign-in's `redirect_uri` with `code=` (single use, 60 s, for POST /v1/sso/token) or `error=`: `access_denied`, `idp_error`, `idp_unavailable`, `invalid_response`, `flow_expired`, `email_missing`, `email_unverified`, `email_domain_not_verified`, `sso_not_configured`, `plan_limit_reached`, `tenant_restricted`; with the app's `state` when it gave one. An unknown or used `state`, or one this browser did not start (its cookie), is answered 400 here.",
  ...publicAccess("anyone"),
  request: {
    query: z.object({
      state: param,
      code: param,
      iss: param,
      error: param,
      error_description: param,
    }),
  },
  responses: {
    302: backToAppAnswer,
    ...problemResponses(400, 422, 429),
  },
});

export function registerOidcCallback(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    // The URL the IdP redirected to, as openid-client checks it: our public address, the query as sent.
    const callbackUrl = new URL(
      `${deps.sso.publicUrl}${oidcCallbackPath}${new URL(c.req.url).search}`,
    );
    const target = await finishOidcSignIn(
      { sql: deps.sql, sso: deps.sso, oidc: deps.oidc, logger: c.get("logger") },
      callbackUrl,
      auditContextOf(c, deps),
      getCookie(c, flowCookie),
    );
    return backToApp(c, target, { path: "/v1/sso" });
  });
}
