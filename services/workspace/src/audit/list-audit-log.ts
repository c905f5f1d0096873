import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { listAuditLog } from "./audit-log.ts";
import { auditLogQuery, auditLogSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listAuditLog",
  path: "/v1/audit-log",
  tags: ["Audit log"],
  summary: "The tenant's audit log, newest first, by entity, actor and time",
  ...access("admin"),
  request: { query: auditLogQuery },
  responses: {
    200: {
      description: "A page of audit entries",
      content: { "application/json": { schema: auditLogSchema } },
    },
    ...problemResponses(401, 403, 404, 409, 422, 429, 503),
  },
});

export function registerListAuditLog(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor, ...filter } = c.req.valid("query");
    const page = await deps.pools.run(principalOf(c).tenantId, (sql) =>
      listAuditLog(sql, filter, { limit, cursor }),
    );
    return c.json(page, 200);
  });
}
