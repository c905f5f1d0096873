import { randomUUID } from "node:crypto";
import { createLogger, parseConfig } from "@oryn/shared";
import { serviceEnv, testRun } from "../../../test/harness/context.ts";
import { createGatewayApp } from "../src/app.ts";
import { createGatewayDeps } from "../src/deps.ts";
import { gatewayEnv } from "../src/env.ts";

export type Answer = { status: number; headers: Headers; json: any };

/** The gateway app in-process, on this run's PostgreSQL and Redis; upstreams are not started. */
export async function gatewayInProcess(overrides: Record<string, string> = {}) {
  const config = parseConfig(gatewayEnv, { ...serviceEnv(testRun()), ...overrides });
  const deps = await createGatewayDeps(config, createLogger("gateway-test", "silent"));
  const app = createGatewayApp(deps);
  async function call(
    method: string,
    path: string,
    options: {
      token?: string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = options.raw ?? JSON.stringify(options.body);
      headers["content-length"] ??= String(Buffer.byteLength(body));
    }
    const response = await app.request(path, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: text ? JSON.parse(text) : undefined,
    };
  }
  return { app, deps, call, close: () => deps.close() };
}

export const password = "a long enough password";

export function uniqueSignup(overrides: { slug?: string; email?: string } = {}) {
  const id = randomUUID().slice(0, 8);
  return {
    company: { name: `Company ${id}`, slug: overrides.slug ?? `co-${id}` },
    owner: { email: overrides.email ?? `owner-${id}@example.test`, password, name: "Owner" },
  };
}
