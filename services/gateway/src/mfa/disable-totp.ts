import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { disableTotp } from "./factors.ts";
import { noticeMfaChange } from "./notices.ts";
import { disableTotpBody } from "./schemas.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/me/mfa/totp",
  operationId: "disableTotp",
  tags: ["Me"],
  summary: "Turn two-factor authentication off, with the password; the recovery codes go too",
  ...personAccess("member"),
  request: {
    body: { content: { "application/json": { schema: disableTotpBody } }, required: true },
  },
  responses: {
    204: { description: "Off" },
    ...problemResponses(400, 401, 403, 404, 415, 422, 429),
  },
});

export function registerDisableTotp(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { password } = c.req.valid("json");
    const { person, wasActive } = await disableTotp(
      { sql: deps.sql, limiter: deps.loginLimiter },
      caller,
      password,
    );
    deps.mfaPolicy.forget({ userId: caller.principal.userId });
    if (wasActive) await noticeMfaChange(deps, person, "disabled");
    return c.body(null, 204);
  });
}
