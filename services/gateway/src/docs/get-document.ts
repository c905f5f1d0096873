import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { createMergedDocument } from "./merged-document.ts";

/** `/openapi.json`: the gateway's own routes and the upstreams' routes it forwards, merged. */
export function registerGetDocument(app: App, deps: GatewayDeps, own: () => object): void {
  const merged = createMergedDocument({
    own,
    upstreams: [
      { name: "workspace", url: deps.config.WORKSPACE_URL },
      { name: "billing", url: deps.config.BILLING_URL },
    ],
    ttlMs: 30_000,
    logger: deps.logger,
  });
  app.get("/openapi.json", async (c) => {
    c.header("cache-control", "public, max-age=60");
    return c.json(await merged());
  });
}
