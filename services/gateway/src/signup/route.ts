import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { signupAnswer, signupBody } from "./schemas.ts";
import { signUp } from "./sign-up.ts";

const route = createRoute({
  method: "post",
  path: "/v1/signup",
  ...publicAccess("anyone"),
  tags: ["Signup"],
  summary: "Sign a company up; its workspace is provisioned in the background",
  request: { body: { content: { "application/json": { schema: signupBody } }, required: true } },
  responses: {
    202: {
      description: "Accepted; poll GET /v1/tenant until status is active",
      content: { "application/json": { schema: signupAnswer } },
    },
    ...problemResponses(400, 409, 413, 415, 422, 429),
  },
});

export function registerSignup(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const result = await signUp({
      sql: deps.sql,
      queues: deps.queues,
      tokens: deps.tokens,
      logger: c.get("logger"),
      input: c.req.valid("json"),
      context: { requestId: c.get("requestId"), ip: deps.clientIp(c) },
    });
    return c.json(result, 202);
  });
}
