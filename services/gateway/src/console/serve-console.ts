import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { App } from "@oryn/shared";

// Paths that belong to the API and its documentation: never the console's, so an unknown
// /v1/... still answers problem+json 404 rather than the app's page.
const apiFolders = ["/v1", "/webhooks", "/docs", "/.well-known"];
// `/readyz` and `/metrics` live on the operations port only: here they must stay 404, not the app.
const apiFiles = ["/openapi.json", "/healthz", "/readyz", "/metrics"];

/** Whether `path` is one of the console's pages or files (everything the API does not own). */
export function isConsolePath(path: string): boolean {
  return (
    !apiFiles.includes(path) &&
    !apiFolders.some((folder) => path === folder || path.startsWith(`${folder}/`))
  );
}

/** Where `pnpm build:console` writes the console, found from this file, whatever the cwd. */
export const defaultConsoleDir = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "apps",
  "console",
  "dist",
);

const types: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Oryn console</title></head>
<body><main><h1>The console is not built</h1>
<p>Run <code>pnpm build:console</code> and restart the gateway. The API is at <a href="/docs">/docs</a>.</p>
</main></body></html>`;

/**
 * The console (apps/console, built by `pnpm build:console` into `dir`) at the gateway's root, on
 * the API's own origin: no CORS, and the app's links (mail, Stripe's return pages) land here.
 * Files under /assets/ are named by their content's hash, so they are cached for good; every
 * other path is a page of the app and answers index.html, which the app's router reads.
 * Registered after every API route: it only sees what they did not take.
 */
export function registerConsole(app: App, dir = defaultConsoleDir): void {
  const root = normalize(dir + sep);
  app.get("*", async (c, next) => {
    const path = c.req.path;
    if (!isConsolePath(path)) return next();
    const file = normalize(join(root, decodeURIComponent(path)));
    const type = types[extname(file)];
    // A file only when the path names one inside the build (no `..` out of it); otherwise a page.
    if (type && file.startsWith(root)) {
      const body = await readFile(file).catch(() => undefined);
      if (!body) return next();
      c.header("content-type", type);
      c.header(
        "cache-control",
        path.startsWith("/assets/")
          ? "public, max-age=31536000, immutable"
          : "public, max-age=3600",
      );
      return c.body(new Uint8Array(body));
    }
    const page = await readFile(join(root, "index.html")).catch(() => undefined);
    // The page names this build's assets: a browser must ask again after a deploy.
    c.header("cache-control", "no-cache");
    if (!page) return c.html(notBuilt, 503);
    return c.html(page.toString("utf8"));
  });
}
