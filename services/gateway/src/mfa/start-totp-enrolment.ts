import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { startTotpEnrolment } from "./factors.ts";
import { totpEnrolmentSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/me/mfa/totp",
  operationId: "startTotpEnrolment",
  tags: ["Me"],
  summary:
    "Start enrolling an authenticator app: a new secret, inactive until confirmed with a code",
  ...personAccess("member"),
  responses: {
    201: {
      description: "The secret, and its otpauth URI for a QR code",
      content: { "application/json": { schema: totpEnrolmentSchema } },
    },
    ...problemResponses(401, 403, 409, 429),
  },
});

export function registerStartTotpEnrolment(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const enrolment = await deps.sql.begin((tx) => startTotpEnrolment(tx, deps.mfa, caller));
    c.header("cache-control", "no-store");
    c.header("location", "/v1/me/mfa/totp");
    return c.json(enrolment, 201);
  });
}
