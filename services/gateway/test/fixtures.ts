import { randomUUID } from "node:crypto";
import { createLogger, parseConfig } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { createGatewayApp } from "../src/app.ts";
import { createGatewayDeps } from "../src/deps.ts";
import { gatewayEnv } from "../src/env.ts";

/** The gateway app in-process, on this run's PostgreSQL and Redis; upstreams are not started. */
export async function gatewayInProcess(overrides: Record<string, string> = {}) {
  const config = parseConfig(gatewayEnv, { ...serviceEnv(testRun()), ...overrides });
  const deps = await createGatewayDeps(config, createLogger("gateway-test", "silent"));
  const app = createGatewayApp(deps);
  // Until Redis is connected the limiter counts in memory; tests that count want Redis itself.
  if (deps.redis.status !== "ready") {
    await Promise.race([
      new Promise((resolve) => deps.redis.once("ready", resolve)),
      new Promise((resolve) => setTimeout(resolve, 2000)),
    ]);
  }
  // app.request has no socket: each call says which peer it comes from, as @hono/node-server
  // would (getConnInfo reads `incoming.socket`). The default peer is a proxy on loopback.
  const callFrom = (peer: string) =>
    jsonCaller((path, init) =>
      Promise.resolve(app.request(path, init, { incoming: { socket: { remoteAddress: peer } } })),
    );
  return { app, deps, call: callFrom("127.0.0.1"), callFrom, close: () => deps.close() };
}

export const password = "a long enough password";

export function uniqueSignup(overrides: { slug?: string; email?: string } = {}) {
  // 48 bits: a run signs up hundreds of companies in its one control plane, where slugs and
  // emails are unique; with 32 bits two of them met about once in 50,000 runs.
  const id = randomUUID().replaceAll("-", "").slice(0, 12);
  return {
    company: { name: `Company ${id}`, slug: overrides.slug ?? `co-${id}` },
    owner: { email: overrides.email ?? `owner-${id}@example.test`, password, name: "Owner" },
  };
}
