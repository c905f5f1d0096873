import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses } from "@oryn/shared";
import { assertTenantWritable } from "../access/restricted-tenants.ts";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { createdScimTokenSchema, createScimTokenBody } from "./schemas.ts";
import { createScimToken } from "./scim-tokens.ts";

const route = createRoute({
  method: "post",
  operationId: "createScimToken",
  path: "/v1/scim/tokens",
  tags: ["Enterprise sign-in"],
  summary: "Create a SCIM token for /scim/v2; the token is shown once",
  description:
    "The bearer token an identity provider (Okta, Entra ID) provisions this tenant's people with, at `/scim/v2` (RFC 7644). Stored only as a hash; made by people, not API keys.",
  ...personAccess("owner"),
  request: {
    body: { content: { "application/json": { schema: createScimTokenBody } }, required: true },
  },
  responses: {
    201: {
      description: "The token",
      content: { "application/json": { schema: createdScimTokenSchema } },
    },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerCreateScimToken(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    await assertTenantWritable(deps.sql, caller.principal.tenantId);
    const created = await deps.sql.begin((tx) => createScimToken(tx, caller, input));
    return c.json(created, 201);
  });
}
