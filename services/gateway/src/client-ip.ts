import { getConnInfo } from "@hono/node-server/conninfo";
import type { AppEnv } from "@oryn/shared";
import type { Context } from "hono";

/**
 * The client's address: the socket's, unless a trusted load balancer in front of us sets
 * X-Forwarded-For, in which case its last entry is the one that balancer saw.
 */
export function clientIpResolver(trustProxy: boolean): (c: Context<AppEnv>) => string {
  return (c) => {
    if (trustProxy) {
      const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
      if (forwarded) return forwarded;
    }
    try {
      return getConnInfo(c).remote.address ?? "unknown";
    } catch {
      // In-process tests (app.request) have no socket.
      return "local";
    }
  };
}
