import { createRoute } from "@hono/zod-openapi";
import {
  type App,
  access,
  idempotencyKeyHeaders,
  onceForKey,
  principalOf,
  problemResponses,
  responseHeaders,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { exportSchema, type TenantExport } from "./schemas.ts";
import { enqueueExport, requestExport } from "./tenant-exports.ts";

const route = createRoute({
  method: "post",
  operationId: "requestTenantExport",
  path: "/v1/tenant/exports",
  tags: ["Tenant"],
  summary:
    "Export all of the tenant's data: a tar.gz of every table as NDJSON with a manifest, built in the background",
  ...access("owner"),
  request: { headers: idempotencyKeyHeaders },
  responses: {
    202: {
      description: "The export, on its way (an export already under way is answered again)",
      headers: responseHeaders.location("/v1/tenant/exports/0b7c2c6e-3f5e-4a63-9d57-6e2a1f4b8c10"),
      content: { "application/json": { schema: exportSchema } },
    },
    ...problemResponses(401, 403, 409, 429),
  },
});

export function registerRequestExport(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const principal = principalOf(c);
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], {});
    let requested: Awaited<ReturnType<typeof requestExport>> | undefined;
    const answer = await deps.sql.begin((tx) =>
      onceForKey<TenantExport>(tx, idempotency, async () => {
        requested = await requestExport(tx, {
          tenantId: principal.tenantId,
          requestedBy: principal.userId,
          ttlSeconds: deps.config.EXPORT_TTL_SECONDS,
        });
        const location = `/v1/tenant/exports/${requested.export.id}`;
        return { status: 202, body: requested.export, headers: { location } };
      }),
    );
    if (requested) await enqueueExport(deps.queues, deps.logger, principal.tenantId, requested);
    setAnswerHeaders(c, answer);
    return c.json(answer.body, 202);
  });
}
