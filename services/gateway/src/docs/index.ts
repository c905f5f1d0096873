import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerGetDocument } from "./get-document.ts";
import { registerGetReferencePage } from "./get-reference-page.ts";

/** `/openapi.json` (merged) and `/docs`, the interactive reference built from it. */
export function registerDocs(app: App, deps: GatewayDeps, own: () => object): void {
  registerGetDocument(app, deps, own);
  registerGetReferencePage(app);
}
