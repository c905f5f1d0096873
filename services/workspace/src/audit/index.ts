import type { App } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { registerListAuditLog } from "./list-audit-log.ts";
import { registerVerifyAuditLog } from "./verify-audit-log.ts";

export function registerAuditLog(app: App, deps: WorkspaceDeps): void {
  registerListAuditLog(app, deps);
  registerVerifyAuditLog(app, deps);
}
