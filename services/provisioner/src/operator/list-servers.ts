import { createRoute } from "@hono/zod-openapi";
import { type App, type AppEnv, problemResponses } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import type { ProvisionerDeps } from "../deps.ts";
import { operatorAccess } from "./credential.ts";
import { operatorServerListSchema } from "./schemas.ts";
import { serversWithLoad } from "./servers-view.ts";

export function registerListServers(
  app: App,
  deps: ProvisionerDeps,
  guard: MiddlewareHandler<AppEnv>,
): void {
  const route = createRoute({
    method: "get",
    operationId: "operatorListServers",
    path: "/v1/operator/servers",
    tags: ["Operators"],
    summary: "The tenant database servers, with capacity and load",
    description:
      "Every registered server (a handful, so one page: `nextCursor` is always null), with its tenants, load (tenants / capacity), ready spares, and the connections its tenant databases hold now.",
    ...operatorAccess(guard),
    responses: {
      200: {
        description: "The servers, by name",
        content: { "application/json": { schema: operatorServerListSchema } },
      },
      ...problemResponses(401, 403, 429, 503),
    },
  });
  app.openapi(route, async (c) => {
    const items = await serversWithLoad(deps.provisioning.controlPlane, deps.servers);
    return c.json({ items, nextCursor: null }, 200);
  });
}
