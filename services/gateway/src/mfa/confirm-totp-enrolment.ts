import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { confirmTotpEnrolment } from "./factors.ts";
import { noticeMfaChange } from "./notices.ts";
import { confirmTotpBody, recoveryCodesSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/me/mfa/totp/confirm",
  operationId: "confirmTotpEnrolment",
  tags: ["Me"],
  summary:
    "Turn two-factor authentication on with a code from the app; answers recovery codes once",
  ...personAccess("member"),
  request: {
    body: { content: { "application/json": { schema: confirmTotpBody } }, required: true },
  },
  responses: {
    200: {
      description: "On; ten recovery codes, never shown again",
      content: { "application/json": { schema: recoveryCodesSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 415, 422, 429),
  },
});

export function registerConfirmTotpEnrolment(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { code } = c.req.valid("json");
    const { recoveryCodes, person } = await confirmTotpEnrolment(
      { sql: deps.sql, settings: deps.mfa, limiter: deps.loginLimiter },
      caller,
      code,
    );
    deps.mfaPolicy.forget({ userId: caller.principal.userId });
    await noticeMfaChange(deps, person, "enabled");
    c.header("cache-control", "no-store");
    return c.json({ recoveryCodes }, 200);
  });
}
