import type { AppEnv } from "@oryn/shared";
import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { isConsolePath } from "../console/serve-console.ts";

/**
 * The usual security headers on every answer. JSON answers get a CSP that allows nothing (they
 * are never meant to render); the /docs page one that allows its own scripts and styles only
 * (Swagger UI sets inline styles and data: images); the console's pages the strictest that runs
 * it: its own files only, no inline script or style, no frames, forms and API calls to itself.
 */
export function edgeSecurityHeaders(): MiddlewareHandler<AppEnv> {
  const api = apiHeaders();
  const docs = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
    },
  });
  const console = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      manifestSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
  return (c, next) => {
    const path = c.req.path;
    if (path === "/docs" || path.startsWith("/docs/")) return docs(c, next);
    return (isConsolePath(path) ? console : api)(c, next);
  };
}

/** JSON answers' security headers: a CSP that allows nothing, and hono's usual others. */
function apiHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  });
}

/**
 * The headers `edgeSecurityHeaders` puts on every JSON answer, worked out once by running the same
 * middleware, for the lean proxy path to write without a hono context. `X-Powered-By` is removed
 * from answers besides.
 */
export async function apiSecurityHeaders(): Promise<[string, string][]> {
  const probe = new Hono();
  probe.use("*", apiHeaders());
  probe.get("/", (c) => c.body(null, 204));
  const answer = await probe.request("/");
  return [...answer.headers];
}

/**
 * CORS for browser clients on the listed origins (none by default: server-to-server clients do
 * not need it). Their credentials travel in the Authorization header: `credentials` stays off,
 * and `x-oryn-session` is left out of the allowed headers on purpose, so cookie mode (the
 * console's, same-origin only) is never open to another origin. Clients may read the
 * rate-limit, ETag and request-id headers.
 */
export function edgeCors(origins: string[]): MiddlewareHandler<AppEnv> {
  return cors({
    origin: origins,
    allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["authorization", "content-type", "idempotency-key", "if-match", "if-none-match"],
    exposeHeaders: [
      "ratelimit",
      "ratelimit-policy",
      "retry-after",
      "etag",
      "location",
      "x-request-id",
    ],
    maxAge: 600,
  });
}
