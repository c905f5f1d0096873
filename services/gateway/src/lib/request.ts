import { type AppEnv, type Principal, principalOf } from "@oryn/shared";
import type { Context } from "hono";
import type { AuditContext } from "../audit/audit-events.ts";

type ClientIp = { clientIp: (c: Context<AppEnv>) => string };

/** Where a request came from, for the control-plane audit: its id and the client's address. */
export function auditContextOf(c: Context<AppEnv>, deps: ClientIp): AuditContext {
  // Cut to the column's length: a client chooses it, and it is only shown back to its owner.
  const userAgent = c.req.header("user-agent")?.slice(0, 512);
  return { requestId: c.get("requestId"), ip: deps.clientIp(c), userAgent };
}

/** Who is calling, and from where: what a domain function that changes something is given. */
export type Caller = AuditContext & { principal: Principal };

/** The caller of a route that needs a credential (401 without a good one). */
export function callerOf(c: Context<AppEnv>, deps: ClientIp): Caller {
  return { principal: principalOf(c), ...auditContextOf(c, deps) };
}
