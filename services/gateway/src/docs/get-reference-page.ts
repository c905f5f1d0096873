import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { App } from "@oryn/shared";

// Swagger UI's own files, served by the gateway: the page works without reaching any CDN.
const swaggerUiDir = dirname(
  createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"),
);
// A Map, not an object literal: the asset name comes from the URL, and an object would also
// answer for `constructor`, `__proto__` or `toString` (inherited, and then served as a 500).
const assets = new Map<string, { file: string; type: string }>([
  ["swagger-ui.css", { file: "swagger-ui.css", type: "text/css; charset=utf-8" }],
  [
    "swagger-ui-bundle.js",
    { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
  ],
  ["favicon.png", { file: "favicon-32x32.png", type: "image/png" }],
]);

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Oryn API reference</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon.png">
</head>
<body>
  <div id="api-reference"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

// Kept out of the page so the page needs no inline script (a strict CSP stays possible).
const init = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#api-reference",
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: true,
});`;

/** `/docs`, the interactive API reference, and the files it loads; it reads `/openapi.json`. */
export function registerGetReferencePage(app: App): void {
  app.get("/docs", (c) => c.html(page));
  app.get("/docs/init.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    return c.body(init);
  });
  const loaded = new Map<string, Buffer>();
  app.get("/docs/:asset", (c) => {
    const asset = assets.get(c.req.param("asset"));
    if (!asset) return c.notFound();
    let body = loaded.get(asset.file);
    if (!body) {
      body = readFileSync(join(swaggerUiDir, asset.file));
      loaded.set(asset.file, body);
    }
    c.header("content-type", asset.type);
    c.header("cache-control", "public, max-age=86400");
    return c.body(new Uint8Array(body));
  });
}
