import { createReadStream } from "node:fs";
import { access as fileAccess } from "node:fs/promises";
import { Readable } from "node:stream";
import { createRoute, z } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  access,
  enqueue,
  exportArchivePath,
  findTenant,
  principalOf,
  problemResponses,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { findExport, requestExport, type TenantExport } from "./tenant-exports.ts";

const exportSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(["pending", "running", "ready", "failed", "expired"]),
    sizeBytes: z.number().int().nullable(),
    sha256: z.string().nullable().openapi({ description: "SHA-256 of the archive, once ready" }),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    expiresAt: z.string().openapi({ description: "After this the archive is removed" }),
  })
  .openapi("TenantExport");

const idParam = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

const requestRoute = createRoute({
  method: "post",
  path: "/v1/tenant/exports",
  tags: ["Tenant"],
  summary:
    "Export all of the tenant's data: a tar.gz of every table as NDJSON with a manifest, built in the background",
  ...access("owner"),
  responses: {
    202: {
      description: "The export, on its way (an export already under way is answered again)",
      content: { "application/json": { schema: exportSchema } },
    },
    ...problemResponses(401, 403, 409, 429),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/tenant/exports/{id}",
  tags: ["Tenant"],
  summary: "An export's status",
  ...access("owner"),
  request: { params: idParam },
  responses: {
    200: { description: "The export", content: { "application/json": { schema: exportSchema } } },
    ...problemResponses(401, 403, 404, 422, 429),
  },
});

const downloadRoute = createRoute({
  method: "get",
  path: "/v1/tenant/exports/{id}/download",
  tags: ["Tenant"],
  summary: "Download a ready export (application/gzip, a tar archive)",
  ...access("owner"),
  request: { params: idParam },
  responses: {
    200: {
      description: "The archive: manifest.json and one <table>.ndjson per table",
      content: { "application/gzip": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...problemResponses(401, 403, 404, 409, 422, 429),
  },
});

const toBody = (row: TenantExport) => ({
  id: row.id,
  status: row.status,
  sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes),
  sha256: row.sha256,
  createdAt: row.createdAt.toISOString(),
  completedAt: row.completedAt?.toISOString() ?? null,
  expiresAt: row.expiresAt.toISOString(),
});

/**
 * Exports: the gateway records the request and streams the finished archive; the provisioner's
 * `exportTenant` job reads the tenant database and writes the archive (the gateway never touches
 * a tenant database). Both see EXPORT_DIR.
 */
export function registerExports(app: App, deps: GatewayDeps): void {
  app.openapi(requestRoute, async (c) => {
    const principal = principalOf(c);
    const tenant = await findTenant(deps.sql, principal.tenantId);
    if (!tenant || tenant.status === "deleting" || tenant.status === "deleted") {
      throw new ApiError("not_found");
    }
    if (tenant.status !== "active" && tenant.status !== "restricted") {
      throw new ApiError("tenant_not_ready", { detail: "There is nothing to export yet" });
    }
    const { export: row, created } = await requestExport(deps.sql, {
      tenantId: tenant.id,
      requestedBy: principal.userId,
      ttlSeconds: deps.config.EXPORT_TTL_SECONDS,
    });
    // Enqueued again for one under way too: a lost enqueue is mended by asking again (the job
    // id is the export's, so a job already there is not duplicated).
    await enqueue(
      deps.queues,
      "exportTenant",
      { exportId: row.id, tenantId: tenant.id },
      { timeoutMs: 2000 },
    ).catch((error: unknown) => {
      deps.logger.warn({ err: error, exportId: row.id, created }, "could not enqueue an export");
      if (created) throw new ApiError("upstream_unavailable", { status: 503, cause: error });
    });
    c.header("location", `/v1/tenant/exports/${row.id}`);
    return c.json(toBody(row), 202);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findExport(deps.sql, principalOf(c).tenantId, id);
    if (!row) throw new ApiError("not_found");
    return c.json(toBody(row), 200);
  });

  app.openapi(downloadRoute, async (c) => {
    const { id } = c.req.valid("param");
    const tenantId = principalOf(c).tenantId;
    const row = await findExport(deps.sql, tenantId, id);
    if (!row) throw new ApiError("not_found");
    if (row.status === "expired" || (row.status === "ready" && row.expiresAt <= new Date())) {
      throw new ApiError("not_found", { detail: "The export has expired; request a new one" });
    }
    if (row.status !== "ready") {
      throw new ApiError("export_not_ready", { detail: `The export is ${row.status}` });
    }
    const path = exportArchivePath(deps.config.EXPORT_DIR, tenantId, row.id);
    // Removed by the expiry sweep between the row read and here: as good as expired.
    await fileAccess(path).catch(() => {
      throw new ApiError("not_found", { detail: "The export has expired; request a new one" });
    });
    c.header("content-type", "application/gzip");
    c.header("content-length", String(row.sizeBytes));
    c.header("content-disposition", `attachment; filename="oryn-export-${row.id}.tar.gz"`);
    if (row.sha256) c.header("x-oryn-sha256", row.sha256);
    return c.body(Readable.toWeb(createReadStream(path)) as ReadableStream, 200) as never;
  });
}
