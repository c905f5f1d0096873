import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { auditContextOf } from "../lib/request.ts";
import { forgotPassword } from "./password-reset.ts";
import { forgotPasswordBody } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/password/forgot",
  operationId: "forgotPassword",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary: "Mail a password-reset link (valid one hour) if the address has an account",
  description:
    "Answers 202 the same way, and before anything about the address is looked up, whether or not it has an account. Limited per address and per client IP.",
  request: {
    body: { content: { "application/json": { schema: forgotPasswordBody } }, required: true },
  },
  responses: {
    202: { description: "Accepted" },
    ...problemResponses(400, 415, 422, 429),
  },
});

export function registerForgotPassword(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { email } = c.req.valid("json");
    await forgotPassword({ ...deps, logger: c.get("logger") }, auditContextOf(c, deps), email);
    return c.body(null, 202);
  });
}
