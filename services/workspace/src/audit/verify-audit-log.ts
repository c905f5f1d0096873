import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { verifyAuditChain } from "./audit-log.ts";
import { chainReportSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "verifyAuditLog",
  path: "/v1/audit-log/verify",
  tags: ["Audit log"],
  summary: "Check the audit log's hash chain and name the first broken entry",
  ...access("admin"),
  responses: {
    200: {
      description: "The result; `ok: false` names the first entry that does not verify",
      content: { "application/json": { schema: chainReportSchema } },
    },
    ...problemResponses(401, 403, 404, 409, 429, 503),
  },
});

export function registerVerifyAuditLog(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const report = await deps.pools.run(principalOf(c).tenantId, (sql) => verifyAuditChain(sql));
    return c.json(report, 200);
  });
}
