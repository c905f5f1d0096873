import { createRoute } from "@hono/zod-openapi";
import { type App, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { sessionListSchema } from "./schemas.ts";
import { listSessions } from "./sessions.ts";

const route = createRoute({
  method: "get",
  path: "/v1/me/sessions",
  operationId: "listSessions",
  tags: ["Me"],
  summary: "Your live sessions in every tenant, last used first, the current one marked",
  ...personAccess("member"),
  responses: {
    200: {
      description: "The sessions",
      content: { "application/json": { schema: sessionListSchema } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export function registerListSessions(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    return c.json({ items: await listSessions(deps.sql, principalOf(c)) }, 200);
  });
}
