import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerOptions,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type ServerType, serve } from "@hono/node-server";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, type FieldError, problemContentType, problemOf } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { type Metrics, measureRequests } from "./operations.ts";
import type { Principal } from "./tokens.ts";
import { traceRequests } from "./tracing.ts";
import { discardUnreadBodies } from "./unread-bodies.ts";

/** The request's variables, the same in every service. */
export type AppEnv = {
  Variables: {
    requestId: string;
    logger: Logger;
    /** Set only once a credential has been verified; read it through `principalOf`. */
    principal: Principal | undefined;
  };
};

export type App = OpenAPIHono<AppEnv>;

/** An app whose schema failures all become 422 `validation_failed` with one entry per field. */
export function createApp(): App {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const errors: FieldError[] = result.error.issues.map((issue) => ({
        path: issue.path.map(String).join(".") || "(body)",
        message: issue.message,
      }));
      throw new ApiError("validation_failed", { errors });
    },
  });
  return app;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request id, a child logger carrying it, and one log line per request. Internal services keep a
 * well-formed incoming `x-request-id` so one id follows a request across services; the public
 * edge (`trustIncomingId: false`) makes its own, so no client chooses the id that lands in audit
 * rows, and logs the client's as `clientRequestId`.
 */
export function requestContext(
  logger: Logger,
  options: { trustIncomingId: boolean },
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { requestId, clientRequestId } = requestIds(c.req.header("x-request-id"), options);
    const log = logger.child(clientRequestId ? { requestId, clientRequestId } : { requestId });
    c.set("requestId", requestId);
    c.set("logger", log);
    const started = performance.now();
    await next();
    // On the answer's own headers: `c.header` after the answer is made turns @hono/node-server's
    // lightweight Response into a full web Response with a streamed body (5% of a proxied GET).
    c.res.headers.set("x-request-id", requestId);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    log.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, "request");
  };
}

/**
 * The request's id, and the client's own (logged only) when the id is not taken from it: the rule
 * of `requestContext`, also for the gateway's lean proxy path.
 */
export function requestIds(
  incoming: string | undefined,
  options: { trustIncomingId: boolean },
): { requestId: string; clientRequestId: string | undefined } {
  const wellFormed = incoming !== undefined && requestIdPattern.test(incoming);
  return {
    requestId: options.trustIncomingId && wellFormed ? incoming : randomUUID(),
    clientRequestId: !options.trustIncomingId && wellFormed ? incoming : undefined,
  };
}

/** Whether a body of this `content-type` is JSON (`application/json` or `+json`). */
export function isJsonContentType(contentType: string | undefined): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return /^application\/([\w.-]+\+)?json$/.test(type);
}

/**
 * Bodies are JSON only: a body of another type is refused here with 415 rather than reaching a
 * schema as an empty object and coming back as a puzzling "required" error.
 */
export function requireJsonBodies(
  options: {
    /**
     * Paths (exact) that take an HTML form's body (`application/x-www-form-urlencoded`) instead:
     * what a browser posts for a third party, e.g. a SAML response to the ACS. Nothing else.
     */
    formPaths?: readonly string[];
  } = {},
): MiddlewareHandler<AppEnv> {
  const formPaths = new Set(options.formPaths ?? []);
  return async (c, next) => {
    const length = c.req.header("content-length");
    const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding");
    if (hasBody && !["GET", "HEAD", "OPTIONS"].includes(c.req.method)) {
      const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
      const form = type === "application/x-www-form-urlencoded" && formPaths.has(c.req.path);
      if (!form && !isJsonContentType(type)) throw new ApiError("unsupported_media_type");
    }
    await next();
  };
}

export function problemResponse(c: Context<AppEnv>, error: ApiError): Response {
  const requestId = c.get("requestId") ?? randomUUID();
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  c.header("content-type", problemContentType);
  c.header("x-request-id", requestId);
  return c.body(JSON.stringify(problemOf(error, requestId)), error.status as ContentfulStatusCode);
}

/** Turns what a handler threw into problem+json; the unexpected is logged and answered as 500. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  return problemResponse(c, problemFor(error, c.get("logger") ?? console));
}

/**
 * The ApiError a thrown error is answered with (the rule of `handleError`, also for the gateway's
 * lean proxy path); the unexpected is logged on `log`.
 */
export function problemFor(
  error: unknown,
  log: {
    warn(details: object, message: string): void;
    error(details: object, message: string): void;
  },
): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    // hono's JSON validator throws this for an unparsable body.
    if (error.status === 400 && /json/i.test(error.message)) return new ApiError("invalid_json");
    if (error.status === 413) return new ApiError("payload_too_large");
    if (error.status === 401) {
      // Basic auth's challenge must survive, or a browser never asks for the password.
      const challenge = error.getResponse().headers.get("www-authenticate");
      return new ApiError(
        "unauthorized",
        challenge ? { headers: { "www-authenticate": challenge } } : {},
      );
    }
    if (error.status < 500) return new ApiError("bad_request", { detail: error.message });
  }
  if (error instanceof Error && isUnstorableValue(error)) {
    // A backstop: schemas should refuse these values before PostgreSQL sees them.
    return new ApiError("validation_failed", {
      detail: "A value cannot be stored: NUL in text, or an impossible date",
    });
  }
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, "database unavailable");
    return new ApiError("upstream_unavailable", {
      status: 503,
      detail: "A database is unavailable",
    });
  }
  log.error({ err: error }, "unhandled error");
  return new ApiError("internal_error");
}

export function handleNotFound(c: Context<AppEnv>): Response {
  return problemResponse(
    c,
    new ApiError("not_found", { detail: `No route for ${c.req.method} ${c.req.path}` }),
  );
}

/**
 * The middleware and handlers every service's app starts with. Body checks (`requireJsonBodies`,
 * size limits) are left to each app, so the gateway can count a request against its rate limit
 * before refusing its body.
 */
export function useCommonHandlers(
  app: App,
  options: { logger: Logger; metrics: Metrics; trustIncomingRequestId?: boolean },
): void {
  // First, so it runs last: once every answer, an error's included, is decided.
  app.use("*", discardUnreadBodies());
  app.use(
    "*",
    requestContext(options.logger, { trustIncomingId: options.trustIncomingRequestId ?? true }),
  );
  app.use("*", traceRequests({ trustIncoming: options.trustIncomingRequestId ?? true }));
  app.use("*", measureRequests(options.metrics));
  app.onError(handleError);
  app.notFound(handleNotFound);
}

/**
 * What a server serves: an app's `fetch`, and optionally a `front` handler that sees Node's
 * request first and returns true when it answers it itself (the gateway's lean proxy path);
 * everything else goes to `fetch` as before.
 */
export type Servable = {
  fetch: App["fetch"];
  front?: (incoming: IncomingMessage, outgoing: ServerResponse) => boolean;
};

export type Listening = { server: ServerType; port: number; close: () => Promise<void> };

/** Starts the HTTP server; `close` stops accepting and waits for in-flight requests. */
export function listen(
  app: Servable,
  options: { port: number; host: string; portVariable?: string },
): Promise<Listening> {
  return new Promise((resolvePromise, rejectPromise) => {
    const { front } = app;
    const server = serve(
      {
        fetch: app.fetch,
        port: options.port,
        hostname: options.host,
        ...(front
          ? {
              createServer: ((serverOptions: ServerOptions, listener: RequestListener) =>
                createServer(serverOptions, (incoming, outgoing) => {
                  if (!front(incoming, outgoing)) void listener(incoming, outgoing);
                })) as never,
            }
          : {}),
      },
      (info: AddressInfo) => {
        resolvePromise({
          server,
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              // Idle keep-alive sockets would otherwise hold close() open until they time out.
              if ("closeIdleConnections" in server) server.closeIdleConnections();
            }),
        });
      },
    );
    answerClientErrors(server);
    server.once("error", (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === "EADDRINUSE" ? "is already in use" : `cannot be listened on (${error.code})`;
      rejectPromise(
        new Error(
          `${options.host}:${options.port} ${reason}; set ${options.portVariable ?? "PORT"} or HOST`,
          {
            cause: error,
          },
        ),
      );
    });
  });
}

// Connection failures (postgres.js codes and Node's) and PostgreSQL's "shutting down", "cannot
// connect now" and "too many connections": the database is away, which is a 503, not a bug.
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

// Also unavailable for a database we connect to by name as its own role (a tenant's): a missing
// database, or a refused login, is an outage of that tenant, not a bug.
const tenantUnavailableCodes = new Set([...unavailableCodes, "3D000", "28000", "28P01"]);

/** Whether an error means the database could not be reached (or, for a tenant's, refused us). */
export function isDatabaseUnavailable(error: unknown, options: { tenant?: boolean } = {}): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === "string" &&
    (options.tenant ? tenantUnavailableCodes : unavailableCodes).has(code)
  );
}

function isUnstorableValue(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  // NUL in text, bad encoding, and dates or times PostgreSQL cannot represent.
  return ["22021", "22P05", "22007", "22008", "22009"].includes(code as string);
}

/**
 * Requests Node's HTTP parser refuses before any app sees them (headers over the limit, a
 * malformed request line) get problem+json too, instead of Node's bare status line.
 */
function answerClientErrors(server: ServerType): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const apiError =
      error.code === "HPE_HEADER_OVERFLOW"
        ? new ApiError("headers_too_large")
        : new ApiError("bad_request", { detail: "The request could not be parsed as HTTP" });
    const body = JSON.stringify(problemOf(apiError, randomUUID()));
    socket.end(
      `HTTP/1.1 ${apiError.status} ${apiError.message}\r\n` +
        `content-type: ${problemContentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
    // The client may still be sending (the rest of its headers, its body). Closing with its
    // bytes unread resets the connection, and the client may then see ECONNRESET instead of the
    // answer (the fuzz suite met this once in several runs): read and drop them until the client
    // closes, two seconds at most. The server's sockets are half-open, so end() left reading on.
    socket.resume();
    setTimeout(() => socket.destroy(), 2_000).unref();
  });
}
