import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { assertPerson, profileOf } from "./profile.ts";
import { profileSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/me",
  operationId: "getMe",
  tags: ["Me"],
  summary: "Your profile: address and whether it is verified, MFA, and your tenants",
  ...access("member"),
  responses: {
    200: { description: "The profile", content: { "application/json": { schema: profileSchema } } },
    ...problemResponses(401, 403, 429),
  },
});

export function registerGetMe(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const principal = principalOf(c);
    assertPerson(principal);
    return c.json(await profileOf(deps.sql, principal.userId), 200);
  });
}
