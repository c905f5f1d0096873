import { ApiError, type AppEnv, injectTraceContext } from "@oryn/shared";
import type { Context } from "hono";
import { errors, Pool } from "undici";

// Only these request headers go upstream: anything else a client sends (x-oryn-*, forged
// x-forwarded-*, hop-by-hop headers) stops here.
const forwardedRequestHeaders = [
  "accept",
  "accept-language",
  "authorization",
  "content-type",
  "idempotency-key",
  "if-match",
  "if-none-match",
  "user-agent",
  "stripe-signature",
];

// RFC 9110 §7.6.1 hop-by-hop headers, and our own internal ones, never travel back to clients.
const droppedResponseHeaders = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "date",
]);

export type Upstream = {
  /** `authorization` replaces the client's header (an API key travels upstream as a JWT). */
  forward(
    c: Context<AppEnv>,
    options: { clientIp: string; authorization?: string },
  ): Promise<Response>;
  close(): Promise<void>;
};

/**
 * A pool of keep-alive connections to one upstream service. Requests and answers are buffered:
 * bodies are small JSON, the size was already limited, and a buffered answer lets an upstream
 * failure become a clean problem+json instead of a half-sent response.
 */
export function createUpstream(
  name: string,
  baseUrl: string,
  options: { timeoutMs: number },
): Upstream {
  const pool = new Pool(baseUrl, {
    connections: 128,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connectTimeout: Math.min(options.timeoutMs, 2_000),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  return {
    async forward(c, { clientIp, authorization }) {
      const headers: Record<string, string> = {};
      for (const header of forwardedRequestHeaders) {
        const value = c.req.header(header);
        if (value !== undefined) headers[header] = value;
      }
      if (authorization !== undefined) headers.authorization = authorization;
      headers["x-request-id"] = c.get("requestId");
      headers["x-forwarded-for"] = clientIp;
      injectTraceContext(headers);
      const hasBody = !["GET", "HEAD"].includes(c.req.method);
      const body = hasBody ? Buffer.from(await c.req.arrayBuffer()) : undefined;
      const url = new URL(c.req.url);
      try {
        const answer = await pool.request({
          path: url.pathname + url.search,
          method: c.req.method as "GET",
          headers,
          body,
        });
        // A Uint8Array, not an ArrayBuffer: @hono/node-server writes the former straight to the
        // socket, and wraps the latter in a full web Response whose body it then streams.
        const payload = new Uint8Array(await answer.body.arrayBuffer());
        const answerHeaders = endToEndHeaders(answer.headers);
        const nullBody =
          answer.statusCode === 204 || answer.statusCode === 304 || c.req.method === "HEAD";
        // newResponse keeps what the gateway already set (rate-limit headers, request id).
        return c.newResponse(nullBody ? null : payload, answer.statusCode as 200, answerHeaders);
      } catch (error) {
        throw upstreamError(name, error);
      }
    },
    close: () => pool.close(),
  };
}

/**
 * The answer's headers without hop-by-hop ones: the fixed list, any the `Connection` header names
 * (RFC 9110 §7.6.1), and our internal `x-oryn-*`.
 */
function endToEndHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const connection = [headers.connection ?? []].flat().join(",");
  const named = new Set(
    connection
      .split(",")
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
  const kept: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    const lower = key.toLowerCase();
    if (
      value === undefined ||
      droppedResponseHeaders.has(lower) ||
      named.has(lower) ||
      lower.startsWith("x-oryn-")
    ) {
      continue;
    }
    kept[lower] = value;
  }
  return kept;
}

function upstreamError(name: string, error: unknown): ApiError {
  if (
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError
  ) {
    return new ApiError("upstream_timeout", {
      detail: `${name} did not answer in time`,
      cause: error,
    });
  }
  const code = (error as { code?: string }).code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new ApiError("upstream_unavailable", {
      status: 503,
      detail: `${name} is unavailable`,
      cause: error,
    });
  }
  return new ApiError("upstream_unavailable", {
    status: 502,
    detail: `${name} gave a broken answer`,
    cause: error,
  });
}
