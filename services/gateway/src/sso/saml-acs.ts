import { createRoute, z } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import { getCookie } from "hono/cookie";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { backToApp, backToAppAnswer } from "./back-to-app.ts";
import { finishSamlSignIn } from "./saml-sign-in.ts";
import { flowCookie, samlAcsPath } from "./settings.ts";

const form = z.object({
  SAMLResponse: z.string().max(400_000).optional().openapi({
    description: "The IdP's base64 samlp:Response",
  }),
  RelayState: z.string().max(200).optional().openapi({
    description: "The sign-in's id, as /v1/sso/authorize sent it to the IdP",
  }),
});

const route = createRoute({
  method: "post",
  operationId: "finishSamlSignIn",
  path: samlAcsPath,
  tags: ["Enterprise sign-in"],
  summary: "SAML Assertion Consumer Service: the IdP's answer, posted by the browser",
  description:
    "HTTP-POST binding (`application/x-www-form-urlencoded`). 302 to the sign-in's `redirect_uri` with `code=` (single use, 60 s, for POST /v1/sso/token) or `error=`: `invalid_response` (signature, issuer, audience, recipient, time window or InResponseTo wrong), `replayed_response`, `flow_expired`, `email_missing`, `email_domain_not_verified`, `sso_not_configured`, `plan_limit_reached`, `tenant_restricted`; with the app's `state` when it gave one. An unknown or used RelayState, or one this browser did not start (its cookie, SameSite=None), is answered 400 here. IdP-initiated sign-in is not accepted.",
  ...publicAccess("anyone"),
  request: {
    body: {
      content: { "application/x-www-form-urlencoded": { schema: form } },
      required: true,
    },
  },
  responses: {
    302: backToAppAnswer,
    ...problemResponses(400, 413, 415, 422, 429),
  },
});

export function registerSamlAcs(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid("form");
    const target = await finishSamlSignIn(
      { sql: deps.sql, sso: deps.sso, oidc: deps.oidc, logger: c.get("logger") },
      { samlResponse: body.SAMLResponse, relayState: body.RelayState },
      auditContextOf(c, deps),
      getCookie(c, flowCookie),
    );
    return backToApp(c, target, { path: "/v1/sso", secure: true, sameSite: "None" });
  });
}
