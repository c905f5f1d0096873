import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerDownloadExport } from "./download-export.ts";
import { registerGetExport } from "./get-export.ts";
import { registerRequestExport } from "./request-export.ts";

/**
 * Exports: the gateway records the request and streams the finished archive; the provisioner's
 * `exportTenant` job reads the tenant database and writes the archive (the gateway never touches
 * a tenant database). Both see EXPORT_DIR.
 */
export function registerExports(app: App, deps: GatewayDeps): void {
  registerRequestExport(app, deps);
  registerGetExport(app, deps);
  registerDownloadExport(app, deps);
}
