import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { verifyEmailBody } from "./schemas.ts";
import { verifyEmail } from "./verification.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/verify-email",
  operationId: "verifyEmail",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Prove an email address with the token mailed to it (a new account's, or a new address)",
  request: {
    body: { content: { "application/json": { schema: verifyEmailBody } }, required: true },
  },
  responses: {
    204: { description: "Verified (or, for an email change, the address changed)" },
    ...problemResponses(400, 401, 409, 415, 422, 429),
  },
});

export function registerVerifyEmail(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { token } = c.req.valid("json");
    const context = auditContextOf(c, deps);
    await deps.sql.begin((tx) => verifyEmail(tx, context, token));
    return c.body(null, 204);
  });
}
