import { ApiError, type AppEnv, injectTraceContext } from "@oryn/shared";
import type { Context } from "hono";
import { type Dispatcher, errors, Pool } from "undici";
import { createReplicaSet, type ReplicaSetOptions } from "./replicas.ts";

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
    options: { clientIp: string; authorization?: string; tenant?: string },
  ): Promise<Response>;
  /**
   * The same exchange for the lean proxy path, without a hono context: `header` reads the
   * client's request headers, `target` is the path and query to ask for.
   */
  exchange(request: {
    method: string;
    target: string;
    header(name: string): string | undefined;
    body: Buffer | undefined;
    requestId: string;
    clientIp: string;
    authorization: string | undefined;
    /** Whose request it is: with several replicas, it picks the one that serves this tenant. */
    tenant?: string | undefined;
  }): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>;
  /** The replicas' base URLs, healthy ones first (for what asks one of them only). */
  urls(): string[];
  close(): Promise<void>;
};

/**
 * A pool of keep-alive connections to each replica of one upstream service. Requests and answers
 * are buffered: bodies are small JSON, the size was already limited, and a buffered answer lets an
 * upstream failure become a clean problem+json instead of a half-sent response.
 *
 * With several replicas (`baseUrls`), each tenant's requests go to one of them by rendezvous
 * hashing (replicas.ts), and to the next in that tenant's order when a connection to it cannot
 * be made. One replica works exactly as a single upstream always did.
 */
export function createUpstream(
  name: string,
  baseUrls: string | string[],
  options: { timeoutMs: number } & Pick<ReplicaSetOptions, "ejectMs">,
): Upstream {
  const urls = [baseUrls].flat();
  const pools = urls.map(
    (url) =>
      new Pool(url, {
        connections: 128,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connectTimeout: Math.min(options.timeoutMs, 2_000),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      }),
  );
  // Scored by origin, so that gateways listing `http://w1:8081/` and `http://w1:8081` agree.
  const replicas = createReplicaSet(
    urls.map((url) => new URL(url).origin),
    { ejectMs: options.ejectMs },
  );
  /** The request on the tenant's replica, or the next ones in its order while none connects. */
  async function dispatch(tenant: string | undefined, request: Dispatcher.DispatchOptions) {
    const order = replicas.order(tenant);
    // A safe request whose connection broke under it is sent again once, not to every replica in
    // turn: were the request itself what crashed the first replica, it would crash them all.
    let resent = false;
    for (let attempt = 0; ; attempt++) {
      const replica = order[attempt] as number;
      try {
        const answer = await buffered(pools[replica] as Pool, request);
        replicas.answered(replica);
        return answer;
      } catch (error) {
        const unconnected = neverConnected(error);
        if (unconnected) replicas.failed(replica);
        const resend =
          !unconnected && !resent && safeMethods.has(request.method) && socketFailed(error);
        if (resend) resent = true;
        if (!(unconnected || resend) || attempt + 1 >= order.length) throw error;
      }
    }
  }
  const exchange: Upstream["exchange"] = async (request) => {
    const headers: Record<string, string> = {};
    for (const header of forwardedRequestHeaders) {
      const value = request.header(header);
      if (value !== undefined) headers[header] = value;
    }
    if (request.authorization !== undefined) headers.authorization = request.authorization;
    headers["x-request-id"] = request.requestId;
    headers["x-forwarded-for"] = request.clientIp;
    injectTraceContext(headers);
    try {
      return await dispatch(request.tenant, {
        path: request.target,
        method: request.method as "GET",
        headers,
        body: request.body,
      });
    } catch (error) {
      throw upstreamError(name, error);
    }
  };
  return {
    exchange,
    async forward(c, { clientIp, authorization, tenant }) {
      const hasBody = !["GET", "HEAD"].includes(c.req.method);
      const body = hasBody ? Buffer.from(await c.req.arrayBuffer()) : undefined;
      const url = new URL(c.req.url);
      const answer = await exchange({
        method: c.req.method,
        target: url.pathname + url.search,
        header: (name) => c.req.header(name),
        body,
        requestId: c.get("requestId"),
        clientIp,
        authorization,
        tenant,
      });
      // A Uint8Array, not an ArrayBuffer: @hono/node-server writes the former straight to the
      // socket, and wraps the latter in a full web Response whose body it then streams.
      const payload = new Uint8Array(answer.body);
      const nullBody = answer.status === 204 || answer.status === 304 || c.req.method === "HEAD";
      // newResponse keeps what the gateway already set (rate-limit headers, request id).
      return c.newResponse(nullBody ? null : payload, answer.status as 200, answer.headers);
    },
    urls: () => replicas.listed().map((replica) => urls[replica] as string),
    close: () => Promise.all(pools.map((pool) => pool.close())).then(() => {}),
  };
}

const safeMethods = new Set(["GET", "HEAD"]);

/**
 * The connection was never made (refused, unreachable, not resolved, connect timeout), so no byte
 * of the request reached the replica: any request, a POST included, may go to another one. A
 * failure after connecting (a reset, a closed socket, a timeout waiting for the answer) may come
 * after the replica got, and acted on, the request: only safe methods are sent again then, as a
 * non-idempotent request must never be applied twice.
 */
export function neverConnected(error: unknown): boolean {
  if (error instanceof errors.ConnectTimeoutError) return true;
  // A name with several addresses (localhost, A and AAAA records) is tried address by address,
  // and their failures come back together, without a syscall of their own.
  if (error instanceof AggregateError) return error.errors.every(neverConnected);
  const { code, syscall } = error as { code?: string; syscall?: string };
  return syscall === "connect" || (code !== undefined && connectFailures.has(code));
}

/** Codes only a connection attempt gives (a reset, by contrast, can come after the request). */
const connectFailures = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** The connection broke under the request (a replica killed while it was being served). */
export function socketFailed(error: unknown): boolean {
  if (error instanceof errors.SocketError) return true;
  const { code } = error as { code?: string };
  return code === "ECONNRESET" || code === "EPIPE";
}

/**
 * One request on the pool, its answer read whole, through undici's handler interface rather than
 * `pool.request`: no body stream, async resource or promise per chunk, which the CPU profile of a
 * proxied GET put at a tenth of undici's share. Timeouts and errors are the pool's, as before.
 */
function buffered(
  pool: Pool,
  options: Dispatcher.DispatchOptions,
): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let answerHeaders: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    pool.dispatch(options, {
      onRequestStart() {},
      onResponseStart(_controller, statusCode, headers) {
        // An interim answer (100 Continue, 103 Early Hints) is not the answer.
        if (statusCode < 200) return;
        status = statusCode;
        answerHeaders = headers as Record<string, string | string[] | undefined>;
      },
      onResponseData(_controller, chunk) {
        chunks.push(chunk);
        size += chunk.length;
      },
      onResponseEnd() {
        resolve({
          status,
          headers: endToEndHeaders(answerHeaders),
          body: Buffer.concat(chunks, size),
        });
      },
      onResponseError(_controller, error) {
        reject(error);
      },
    });
  });
}

/**
 * The answer's headers without hop-by-hop ones: the fixed list, any the `Connection` header names
 * (RFC 9110 §7.6.1), and our internal `x-oryn-*`.
 */
export function endToEndHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const connection = headers.connection;
  // Most answers name only `keep-alive` (hop-by-hop already): no set to build for them.
  const named =
    connection === undefined || connection === "keep-alive"
      ? undefined
      : new Set(
          [connection]
            .flat()
            .join(",")
            .split(",")
            .map((token) => token.trim().toLowerCase())
            .filter(Boolean),
        );
  const kept: Record<string, string | string[]> = {};
  for (const key in headers) {
    const value = headers[key];
    const lower = key.toLowerCase();
    if (
      value === undefined ||
      droppedResponseHeaders.has(lower) ||
      named?.has(lower) ||
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
  if (neverConnected(error)) {
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
