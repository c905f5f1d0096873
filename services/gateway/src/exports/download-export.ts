import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { createRoute, z } from "@hono/zod-openapi";
import { type App, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { idParams } from "../lib/schemas.ts";

import { readyArchive } from "./tenant-exports.ts";

const route = createRoute({
  method: "get",
  operationId: "downloadTenantExport",
  path: "/v1/tenant/exports/{id}/download",
  tags: ["Tenant"],
  summary:
    "Download a ready export (application/gzip, a tar archive); a person only, not an API key",
  ...personAccess("owner"),
  request: { params: idParams },
  responses: {
    200: {
      description: "The archive: manifest.json and one <table>.ndjson per table",
      headers: {
        "Content-Disposition": {
          description: "An attachment, named after the export",
          required: true,
          schema: {
            type: "string" as const,
            example: 'attachment; filename="oryn-export-<id>.tar.gz"',
          },
        },
        "X-Oryn-Sha256": {
          description: "SHA-256 of the archive (hex), to check the download against",
          required: false,
          schema: { type: "string" as const, pattern: "^[0-9a-f]{64}$" },
        },
      },
      content: { "application/gzip": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...problemResponses(401, 403, 404, 409, 422, 429),
  },
});

export function registerDownloadExport(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const archive = await readyArchive(
      deps.sql,
      deps.config.EXPORT_DIR,
      principalOf(c).tenantId,
      id,
    );
    c.header("content-type", "application/gzip");
    c.header("content-length", String(archive.sizeBytes));
    c.header("content-disposition", `attachment; filename="oryn-export-${archive.id}.tar.gz"`);
    if (archive.sha256) c.header("x-oryn-sha256", archive.sha256);
    return c.body(Readable.toWeb(createReadStream(archive.path)) as ReadableStream, 200) as never;
  });
}
