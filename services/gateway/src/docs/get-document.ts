import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { createMergedDocument } from "./merged-document.ts";

/**
 * `/openapi.json`: the gateway's own routes and the upstreams' routes it forwards, merged. Built
 * once per upstream change and served from memory with a strong ETag, so a client (or Swagger
 * UI) that already has it gets 304 and no body.
 */
export function registerGetDocument(app: App, deps: GatewayDeps, own: () => object): void {
  const merged = createMergedDocument({
    own,
    upstreams: [
      // Any replica's document is the same: the first healthy one's.
      { name: "workspace", url: () => deps.upstreams.workspace.urls() },
      { name: "billing", url: deps.config.BILLING_URL },
      { name: "provisioner", url: deps.config.PROVISIONER_URL },
    ],
    ttlMs: 30_000,
    logger: deps.logger,
  });
  app.get("/openapi.json", async (c) => {
    const document = await merged();
    c.header("cache-control", "public, max-age=60");
    c.header("etag", document.etag);
    if (matches(c.req.header("if-none-match"), document.etag)) return c.body(null, 304);
    c.header("content-type", "application/json; charset=utf-8");
    return c.body(document.body);
  });
}

/** If-None-Match (RFC 9110 13.1.2): `*`, or a list of tags compared weakly. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}
