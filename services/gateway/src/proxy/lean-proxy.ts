import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ApiError,
  isJsonContentType,
  type Logger,
  type Principal,
  problemContentType,
  problemFor,
  problemOf,
  requestIds,
  tracingEnabled,
} from "@oryn/shared";
import { principalFrom } from "../auth/identify.ts";
import type { GatewayDeps } from "../deps.ts";
import { apiSecurityHeaders } from "../edge/headers.ts";
import { assertMfaWhereTenantDoes } from "../mfa/policy.ts";
import {
  type Bucket,
  bucketFor,
  countRequest,
  type Decision,
  settleRefused,
} from "../rate-limit/rate-limits.ts";
import { upstreamAuthorization, upstreamPaths } from "./forwarding.ts";
import type { Upstream } from "./upstream.ts";

/**
 * The forwarded routes' requests (workspace's projects and audit log, billing's subscription
 * routes) answered on Node's own request and response, in front of hono: the same rules in the
 * same order as the app's middleware chain (request id, identify, rate limit, MFA policy, body
 * limit, JSON bodies, a credential required, forward), each rule the very function the hono
 * middleware calls, but without web `Request`, `Response` or `Headers` objects, which the CPU
 * profile put at most of what hono and @hono/node-server cost per proxied answer.
 *
 * Anything unusual is left to hono, unchanged: other paths, methods other than GET, POST, PUT,
 * PATCH and DELETE, a path hono would normalise (`%`, dot segments, empty segments), a host or
 * query string @hono/node-server would rewrite, CORS (when configured) and exported traces.
 * Per-request logging and the request-duration metric are written as the app writes them.
 */
export async function createLeanProxy(
  deps: GatewayDeps,
): Promise<(incoming: IncomingMessage, outgoing: ServerResponse) => boolean> {
  const securityHeaders = await apiSecurityHeaders();
  const routes = leanRoutes(deps);
  const maxBody = deps.config.BODY_LIMIT_BYTES;
  const corsOn = deps.config.CORS_ORIGINS.length > 0;

  return (incoming, outgoing) => {
    const url = incoming.url ?? "";
    const method = incoming.method ?? "";
    if (!leanMethods.has(method) || corsOn || tracingEnabled()) return false;
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    const route = routes.find((candidate) => candidate.pattern.test(path));
    if (!route) return false;
    const search = query === -1 ? "" : url.slice(query);
    if (search.length > 0 && !plainQuery.test(search)) return false;
    const host = incoming.headers.host;
    if (host === undefined || !plainHost.test(host)) return false;
    answer(incoming, outgoing, {
      method,
      path,
      // `new URL` drops a lone "?", as the hono path's target does.
      target: search.length > 1 ? url : path,
      route: route.route(path),
      upstream: route.upstream,
    }).catch((error: unknown) => {
      // Only a bug gets here (every expected failure is answered above): a bare 500.
      deps.logger.error({ err: error }, "unhandled error on the lean proxy path");
      if (outgoing.headersSent) outgoing.destroy();
      else outgoing.writeHead(500).end();
    });
    return true;
  };

  async function answer(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    request: { method: string; path: string; target: string; route: string; upstream: Upstream },
  ): Promise<void> {
    const endTimer = deps.metrics.httpDuration.startTimer();
    const started = performance.now();
    const headerMap = headersOf(incoming);
    const header = (name: string) => headerMap.get(name);
    const { requestId, clientRequestId } = requestIds(header("x-request-id"), {
      trustIncomingId: false,
    });
    let log: Logger | undefined;
    const logger = () => {
      log ??= deps.logger.child(clientRequestId ? { requestId, clientRequestId } : { requestId });
      return log;
    };
    const hasBody = request.method !== "GET";
    let bodyRead = !hasBody;
    // hono's matched route for the metric: the `/v1/*` middleware's until the route's handler runs.
    let route = "/v1/*";
    let bucket: Bucket | undefined;
    let decision: Decision | undefined;
    let status: number;
    let answerHeaders: Record<string, string | string[]>;
    let payload: Buffer | undefined;
    const clientIp = () =>
      deps.clientAddress(incoming.socket.remoteAddress, header("x-forwarded-for"));
    try {
      const principal = await principalFrom(deps, header("authorization"));
      bucket = await bucketFor(deps.rateLimits, request.path, principal, clientIp);
      decision = await countRequest(deps.rateLimits, bucket, deps.logger);
      if (decision.refusal) throw decision.refusal;
      await assertMfaWhereTenantDoes(deps.mfaPolicy, principal, request.path);
      let body: Buffer | undefined;
      if (hasBody) {
        const length = header("content-length");
        const chunked = header("transfer-encoding");
        if (length !== undefined && chunked === undefined) {
          if (Number.parseInt(length, 10) > maxBody) throw tooLarge(maxBody);
        } else {
          body = await readBody(incoming, maxBody);
          bodyRead = true;
        }
        const carriesBody = (length !== undefined && length !== "0") || chunked;
        if (carriesBody && !isJsonContentType(header("content-type"))) {
          throw new ApiError("unsupported_media_type");
        }
      }
      route = request.route;
      const caller = required(principal);
      const authorization = await upstreamAuthorization(deps, caller);
      if (hasBody && !bodyRead) {
        body = await readBody(incoming, Number.POSITIVE_INFINITY);
        bodyRead = true;
      }
      const answered = await request.upstream.exchange({
        method: request.method,
        target: request.target,
        header,
        body,
        requestId,
        clientIp: clientIp(),
        authorization,
        tenant: caller.tenantId,
      });
      status = answered.status;
      answerHeaders = answered.headers;
      payload = status === 204 || status === 304 ? undefined : answered.body;
    } catch (error) {
      const problem = error instanceof ApiError ? error : problemFor(error, logger());
      status = problem.status;
      answerHeaders = { ...problem.headers, "content-type": problemContentType };
      payload = Buffer.from(JSON.stringify(problemOf(problem, requestId)));
    }
    if (bucket && decision && !decision.refusal && !decision.uncounted) {
      await settleRefused(deps.rateLimits, bucket, status);
    }
    if (!bodyRead) await discard(incoming);

    // As hono merges them: the rate-limit headers set first, the answer's own over them, then the
    // security headers and the request id over everything.
    const headers: Record<string, string | string[]> = {};
    if (decision) {
      headers["ratelimit-policy"] = decision.policy;
      if (decision.rateLimit !== undefined) headers.ratelimit = decision.rateLimit;
    }
    for (const [name, value] of Object.entries(answerHeaders)) {
      headers[name] = Array.isArray(value) && name !== "set-cookie" ? value.join(", ") : value;
    }
    for (const [name, value] of securityHeaders) headers[name] = value;
    delete headers["x-powered-by"];
    headers["x-request-id"] = requestId;
    if (payload !== undefined) {
      headers["content-type"] ??= "text/plain; charset=UTF-8";
      headers["content-length"] = String(payload.length);
    }
    endTimer({ method: request.method, route, status: String(status) });
    const ms = Math.round((performance.now() - started) * 10) / 10;
    if (deps.logger.isLevelEnabled("info")) {
      logger().info({ method: request.method, path: request.path, status, ms }, "request");
    }
    outgoing.writeHead(status, headers);
    outgoing.end(payload);
  }
}

const leanMethods = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
/** A host @hono/node-server takes as it is (its own check), so the URL is not rewritten. */
const plainHost = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
/** A query string `new URL` serialises unchanged: printable ASCII but `"`, `#`, `'`, `<`, `>`. */
const plainQuery = /^\?[\x21\x24-\x26\x28-\x3b\x3d\x3f-\x7e]*$/;
const segments = "(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)";

/** The forwarded routes (`upstreamPaths`, the Stripe webhook aside), as the proxy registers them. */
function leanRoutes(deps: GatewayDeps) {
  const workspace = upstreamPaths.workspace.map((prefix) => ({
    pattern: new RegExp(`^${prefix}${segments}*$`),
    route: (path: string) => (path === prefix ? prefix : `${prefix}/*`),
    upstream: deps.upstreams.workspace,
  }));
  const billing = upstreamPaths.billing
    .filter((prefix) => prefix.startsWith("/v1/"))
    .map((prefix) => ({
      pattern: new RegExp(`^${prefix}${segments}+$`),
      route: () => `${prefix}/*`,
      upstream: deps.upstreams.billing,
    }));
  return [...workspace, ...billing];
}

/**
 * The request's headers as the web `Headers` of @hono/node-server read them: names in lower case,
 * a repeated header's values joined by ", ".
 */
function headersOf(incoming: IncomingMessage): Map<string, string> {
  const raw = incoming.rawHeaders;
  const headers = new Map<string, string>();
  for (let index = 0; index < raw.length; index += 2) {
    const name = (raw[index] as string).toLowerCase();
    const value = (raw[index + 1] as string).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return headers;
}

function required(principal: Principal | undefined): Principal {
  if (!principal) throw new ApiError("unauthorized", { detail: "A Bearer token is required" });
  return principal;
}

function tooLarge(maxBody: number): ApiError {
  return new ApiError("payload_too_large", { detail: `Bodies are limited to ${maxBody} bytes` });
}

/** The whole body, or 413 once it passes `max` bytes. */
function readBody(incoming: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        incoming.off("data", onData);
        // Left unread: `discard` drops the rest before the 413 goes out.
        incoming.pause();
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    incoming.on("data", onData);
    incoming.once("end", () => resolve(Buffer.concat(chunks, size)));
    incoming.once("error", reject);
  });
}

/** As `discardUnreadBodies`: the rest of a body not read, up to 16 MiB and 2 s, before answering. */
function discard(incoming: IncomingMessage): Promise<void> {
  if (incoming.readableEnded || incoming.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      incoming.off("data", onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > 16 * 1024 * 1024) done();
    };
    const timer = setTimeout(done, 2_000);
    incoming.on("data", onData);
    incoming.once("end", done);
    incoming.once("error", done);
    incoming.resume();
  });
}
