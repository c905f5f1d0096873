import { createRoute, z } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import { setCookie } from "hono/cookie";
import type { GatewayDeps } from "../deps.ts";
import { flowCookie } from "./settings.ts";
import { startSignIn } from "./sign-in.ts";

const query = z
  .object({
    email: z.email().max(254).optional().openapi({
      description: "The person's address: the tenant that verified its domain is chosen",
    }),
    tenant: z.string().min(1).max(100).optional().openapi({ description: "Or the tenant's slug" }),
    redirect_uri: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .openapi({
        description: "The app's page the browser returns to, inside SSO_REDIRECT_ORIGINS",
      }),
    state: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9._~-]+$/, "URL-safe characters only (A-Z a-z 0-9 . _ ~ -)")
      .optional()
      .openapi({
        description:
          "Opaque, echoed back to redirect_uri beside `code=` or `error=`: the app's login-CSRF defence. Set it to a value tied to the app's own session (e.g. a random value kept in its cookie) and refuse a return whose `state` is not that value, as an OAuth client does.",
      }),
  })
  .refine((value) => (value.email === undefined) !== (value.tenant === undefined), {
    message: "give either email or tenant",
    path: ["email"],
  });

const route = createRoute({
  method: "get",
  operationId: "startSsoSignIn",
  path: "/v1/sso/authorize",
  tags: ["Enterprise sign-in"],
  summary: "Start single sign-on: redirects the browser to the organisation's identity provider",
  description:
    "404 `sso_not_configured` when no enabled connection serves the address or tenant; 422 for a `redirect_uri` outside SSO_REDIRECT_ORIGINS. An IdP that cannot be reached sends the browser back to `redirect_uri` with `error=idp_unavailable`. The app's `state`, when given, comes back on every return to `redirect_uri` (`code=` or `error=`): check it there (login CSRF).",
  ...publicAccess("anyone"),
  request: { query },
  responses: {
    302: {
      description: "To the identity provider (or back to the app with `error=`)",
      headers: {
        Location: {
          description: "Where the browser goes",
          required: true,
          schema: { type: "string" },
        },
      },
    },
    ...problemResponses(404, 422, 429),
  },
});

export function registerStartSignIn(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const input = c.req.valid("query");
    const started = await startSignIn(
      { sql: deps.sql, sso: deps.sso, oidc: deps.oidc, logger: c.get("logger") },
      {
        email: input.email?.toLowerCase(),
        tenant: input.tenant,
        redirectUri: input.redirect_uri,
        appState: input.state,
      },
    );
    if (started.state) {
      setCookie(c, flowCookie, started.state, {
        path: "/v1/sso",
        httpOnly: true,
        // Lax: sent on the IdP's top-level redirect back to the callback, not on cross-site posts.
        // A SAML IdP posts its answer cross-site (HTTP-POST binding): None, which needs Secure
        // (browsers count http://localhost as secure).
        ...(started.crossSitePost
          ? { sameSite: "None" as const, secure: true }
          : { sameSite: "Lax" as const, secure: deps.sso.publicUrl.startsWith("https:") }),
        maxAge: deps.sso.flowTtlSeconds,
      });
    }
    c.header("cache-control", "no-store");
    return c.redirect(started.url.href, 302);
  });
}
