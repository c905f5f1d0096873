import type { MiddlewareHandler } from "hono";

/** How much of an unread body is still read, and for how long, before the answer goes out. */
const discardLimits = { maxBytes: 16 * 1024 * 1024, timeoutMs: 2_000 };

/**
 * Reads and drops what is left of a request's body when the answer did not need it (a 413, 415,
 * 401, 404 answered before the body was read), before the answer goes out.
 *
 * Without it, a refused body stays in the socket. @hono/node-server then drains it in the
 * background with a 500 ms timer that destroys the socket when it fires, even when the
 * keep-alive connection is by then carrying the client's next request, which dies as "other side
 * closed"; and a server that closes with unread bytes makes the kernel reset the connection,
 * losing the 413 the client was owed. The fuzz suite (test/faults) met both.
 */
export function discardUnreadBodies(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const request = c.req.raw;
    if (request.method === "GET" || request.method === "HEAD") return;
    const body = request.body;
    if (body && !request.bodyUsed && !body.locked) await discard(body);
  };
}

async function discard(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  const timer = setTimeout(() => {
    reader.cancel().catch(() => {});
  }, discardLimits.timeoutMs);
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > discardLimits.maxBytes) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The client went away, or the timer cancelled the read: the answer goes out as it can.
  } finally {
    clearTimeout(timer);
  }
}
