import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createLogger, type Listening, listen, parseConfig } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayApp, createGatewayOperationsApp } from "../src/app.ts";
import { createGatewayDeps, type GatewayDeps } from "../src/deps.ts";
import { gatewayEnv } from "../src/env.ts";
import { createLeanProxy } from "../src/proxy/lean-proxy.ts";
import { rendezvousChoice } from "../src/proxy/replicas.ts";
import { uniqueSignup } from "./fixtures.ts";

/**
 * The lean proxy path (Node's request, in front of hono) must answer exactly as the hono app does:
 * the same gateway, served once with it and once without, asked the same things, must give the
 * same statuses, headers and bodies, count the same metric labels and log the same lines.
 */

/** An upstream that echoes what it received, or answers as a path asks. */
let upstream: Server;
let upstreamUrl: string;
beforeAll(async () => {
  upstream = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      if (incoming.url === "/v1/projects/forbidden") {
        outgoing.writeHead(403, { "content-type": "application/problem+json" });
        return void outgoing.end('{"code":"forbidden"}');
      }
      if (incoming.url === "/v1/projects/empty") return void outgoing.writeHead(204).end();
      if (incoming.url === "/v1/projects/plain") return void outgoing.end("no type");
      outgoing.setHeader("content-type", "application/json");
      outgoing.setHeader("connection", "keep-alive, x-upstream-hop");
      outgoing.setHeader("x-upstream-hop", "private to this hop");
      outgoing.setHeader("x-oryn-internal", "secret");
      outgoing.setHeader("x-powered-by", "echo");
      outgoing.setHeader("vary", ["accept", "authorization"]);
      outgoing.setHeader("set-cookie", ["a=1", "b=2"]);
      outgoing.setHeader("x-frame-options", "ALLOWALL");
      outgoing.end(
        JSON.stringify({
          method: incoming.method,
          url: incoming.url,
          headers: incoming.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

type Gateway = {
  deps: GatewayDeps;
  hono: Listening;
  lean: Listening;
  lines: Record<string, unknown>[];
  /** The requests the lean path answered itself (the rest went to hono). */
  taken: string[];
  close(): Promise<void>;
};

async function twoWays(overrides: Record<string, string> = {}): Promise<Gateway> {
  const config = parseConfig(gatewayEnv, {
    ...serviceEnv(testRun()),
    WORKSPACE_URL: upstreamUrl,
    BILLING_URL: upstreamUrl,
    BODY_LIMIT_BYTES: "1024",
    ...overrides,
  });
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger("gateway", "info", { destination: sink });
  const deps = await createGatewayDeps(config, logger);
  if (deps.redis.status !== "ready") await new Promise((ready) => deps.redis.once("ready", ready));
  const app = createGatewayApp(deps);
  const at = { port: 0, host: "127.0.0.1" };
  const hono = await listen({ fetch: app.fetch }, at);
  const front = await createLeanProxy(deps);
  const taken: string[] = [];
  const lean = await listen(
    {
      fetch: app.fetch,
      front: (incoming, outgoing) => {
        const answered = front(incoming, outgoing);
        if (answered) taken.push(incoming.url ?? "");
        return answered;
      },
    },
    at,
  );
  return {
    deps,
    hono,
    lean,
    lines,
    taken,
    async close() {
      await Promise.all([hono.close(), lean.close()]);
      await deps.close();
    },
  };
}

type Sent = {
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  /** Sent in chunks, without a content-length. */
  chunked?: boolean;
};
type Got = { status: number; headers: IncomingHttpHeaders; body: string };

function send(server: Listening, sent: Sent): Promise<Got> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: "127.0.0.1", port: server.port, method: sent.method, path: sent.path },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () =>
          resolve({
            status: answer.statusCode ?? 0,
            headers: answer.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    outgoing.on("error", reject);
    for (const [name, value] of Object.entries(sent.headers ?? {})) outgoing.setHeader(name, value);
    if (sent.body !== undefined && !sent.chunked) {
      outgoing.setHeader("content-length", Buffer.byteLength(sent.body));
      outgoing.end(sent.body);
    } else if (sent.body !== undefined) {
      const half = Math.floor(sent.body.length / 2);
      outgoing.write(sent.body.slice(0, half));
      setTimeout(() => outgoing.end(sent.body?.slice(half)), 5);
    } else outgoing.end();
  });
}

/** What must be equal both ways: ids, dates and jitter (Retry-After) aside. */
function comparable(got: Got) {
  const requestId = got.headers["x-request-id"];
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  const headers: Record<string, unknown> = { ...got.headers };
  for (const name of ["date", "x-request-id", "retry-after"]) delete headers[name];
  if (typeof headers.ratelimit === "string") {
    headers.ratelimit = headers.ratelimit.replace(/r=\d+;t=\d+/, "r=N;t=N");
  }
  let body: unknown = got.body;
  if (/json/.test(String(got.headers["content-type"]))) {
    const parsed = JSON.parse(got.body) as Record<string, any>;
    if (parsed.requestId !== undefined) {
      expect(parsed.requestId).toBe(requestId);
      parsed.requestId = "(id)";
    }
    if (parsed.headers?.["x-request-id"] !== undefined) {
      expect(parsed.headers["x-request-id"]).toBe(requestId);
      parsed.headers["x-request-id"] = "(id)";
      // The echo server saw a different port of the gateway in each case.
      delete parsed.headers.host;
    }
    body = parsed;
  }
  return { status: got.status, headers, body };
}

/** Request counts of the duration histogram by label set. */
function requestCounts(deps: GatewayDeps): Promise<Map<string, number>> {
  return deps.metrics.httpDuration.get().then((metric) => {
    const counts = new Map<string, number>();
    for (const value of metric.values) {
      if (value.metricName !== "http_request_duration_seconds_count") continue;
      counts.set(JSON.stringify(value.labels), value.value);
    }
    return counts;
  });
}

/** Sends `sent` both ways; both answers, the metric labels each counted and each log line. */
async function bothWays(gateway: Gateway, sent: Sent) {
  const answers: Got[] = [];
  const counted: string[][] = [];
  const logged: unknown[] = [];
  for (const server of [gateway.hono, gateway.lean]) {
    const before = await requestCounts(gateway.deps);
    const linesBefore = gateway.lines.length;
    const got = await send(server, sent);
    answers.push(got);
    const after = await requestCounts(gateway.deps);
    counted.push(
      [...after].filter(([labels, n]) => n !== (before.get(labels) ?? 0)).map(([labels]) => labels),
    );
    const requestLines = gateway.lines
      .slice(linesBefore)
      .filter((line) => line.msg === "request")
      .map(({ time: _time, pid: _pid, hostname: _host, ms, requestId, ...rest }) => {
        expect(requestId).toBe(got.headers["x-request-id"]);
        expect(typeof ms).toBe("number");
        return rest;
      });
    logged.push(requestLines);
  }
  const [hono, lean] = answers as [Got, Got];
  const label = `${sent.method} ${sent.path}`;
  // Answered on the lean path indeed, not handed to hono.
  expect(gateway.taken.at(-1), label).toBe(sent.path);
  gateway.taken.length = 0;
  expect(comparable(lean), label).toEqual(comparable(hono));
  expect(counted[1], label).toEqual(counted[0]);
  expect(logged[1], label).toEqual(logged[0]);
  expect((logged[0] as unknown[]).length, label).toBe(1);
  return { hono, lean };
}

describe("the lean proxy path", () => {
  let gateway: Gateway;
  let token: string;
  let apiKey: string;
  let tenantId: string;
  beforeAll(async () => {
    gateway = await twoWays();
    const call = jsonCaller((path, init) =>
      fetch(`http://127.0.0.1:${gateway.hono.port}${path}`, init),
    );
    const body = uniqueSignup();
    const signup = await call("POST", "/v1/signup", { body });
    await verifyQueuedEmail(testRun(), call, body.owner.email);
    token = signup.json.tokens.accessToken;
    tenantId = signup.json.tenant.id;
    const key = await call("POST", "/v1/api-keys", { token, body: { name: "k", role: "member" } });
    apiKey = key.json.key;
  });
  afterAll(() => gateway.close());

  it("answers forwarded requests as the hono app does: headers both ways, bodies, refusals, metrics and logs", async () => {
    const bearer = () => ({ authorization: `Bearer ${token}` });
    const json = { "content-type": "application/json" };
    const cases: Sent[] = [
      {
        method: "GET",
        path: "/v1/projects/p1?limit=2&x=a/b",
        headers: {
          ...bearer(),
          "x-request-id": "client-chosen",
          "x-forwarded-for": "10.9.9.9",
          "x-oryn-tenant-id": "someone-else",
          accept: ["application/json", "text/plain"],
          "if-none-match": '"abc"',
        },
      },
      { method: "GET", path: "/v1/projects", headers: bearer() },
      { method: "GET", path: "/v1/audit-log?", headers: bearer() },
      { method: "GET", path: "/v1/billing/subscription", headers: bearer() },
      { method: "GET", path: "/v1/projects/p1" },
      { method: "GET", path: "/v1/projects/p1", headers: { authorization: "Bearer nonsense" } },
      {
        method: "GET",
        path: "/v1/projects/p1",
        headers: { authorization: [`Bearer ${token}`, "Bearer x"] },
      },
      { method: "GET", path: "/v1/projects/forbidden", headers: bearer() },
      { method: "GET", path: "/v1/projects/empty", headers: bearer() },
      { method: "GET", path: "/v1/projects/plain", headers: bearer() },
      {
        method: "POST",
        path: "/v1/projects",
        headers: { ...bearer(), ...json, "idempotency-key": "k1" },
        body: '{"name":"p"}',
      },
      {
        method: "PATCH",
        path: "/v1/projects/p1/tasks/t1",
        headers: { ...bearer(), ...json, "if-match": '"v1"' },
        body: '{"title":"t"}',
        chunked: true,
      },
      { method: "DELETE", path: "/v1/projects/p1", headers: bearer() },
      {
        method: "POST",
        path: "/v1/projects",
        headers: { ...bearer(), "content-type": "text/plain" },
        body: "x",
      },
      {
        method: "POST",
        path: "/v1/projects",
        headers: { ...bearer(), ...json },
        body: "x".repeat(2000),
      },
      {
        method: "POST",
        path: "/v1/projects",
        headers: { ...bearer(), ...json },
        body: "x".repeat(2000),
        chunked: true,
      },
      { method: "POST", path: "/v1/projects", headers: json, body: '{"name":"p"}' },
    ];
    for (const sent of cases) await bothWays(gateway, sent);
  });

  it("sends an API key's requests upstream as a JWT, as the hono app does", async () => {
    expect(apiKey).toMatch(/\S/);
    const { lean } = await bothWays(gateway, {
      method: "GET",
      path: "/v1/projects/p2",
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const echoed = JSON.parse(lean.body) as { headers: IncomingHttpHeaders };
    expect(echoed.headers.authorization).toMatch(/^Bearer ey/);
  });

  it("refuses a person without a second factor where the tenant requires one, as the hono app does", async () => {
    await gateway.deps.sql`update tenants set mfa_required = true where id = ${tenantId}`;
    gateway.deps.mfaPolicy.forget({ tenantId });
    try {
      const { lean } = await bothWays(gateway, {
        method: "GET",
        path: "/v1/projects/p1",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(lean.status).toBe(403);
      expect(JSON.parse(lean.body).code).toBe("mfa_required");
    } finally {
      await gateway.deps.sql`update tenants set mfa_required = false where id = ${tenantId}`;
      gateway.deps.mfaPolicy.forget({ tenantId });
    }
  });

  it("answers 429 with the same headers once the tenant is over its limit, and an unreachable upstream as 503", async () => {
    const limited = await twoWays({
      RATE_LIMIT_TENANT_PER_SECOND: "2",
      RATE_LIMIT_TENANT_PER_MINUTE: "2",
      WORKSPACE_URL: "http://127.0.0.1:9",
      // Counted afresh: the first gateway's requests of this minute are in the run's prefix.
      REDIS_PREFIX: `${serviceEnv(testRun()).REDIS_PREFIX}-limited`,
    });
    try {
      const headers = { authorization: `Bearer ${token}` };
      // The first two requests of the minute go through (to an upstream that is not there).
      const down = await bothWays(limited, { method: "GET", path: "/v1/projects/p1", headers });
      expect(down.lean.status).toBe(503);
      expect(JSON.parse(down.lean.body).code).toBe("upstream_unavailable");
      const { lean } = await bothWays(limited, { method: "GET", path: "/v1/projects/p1", headers });
      expect(lean.status).toBe(429);
      expect(Number(lean.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      // Still ready with no workspace answering: sign-up, sign-in and billing do not need it.
      const operations = createGatewayOperationsApp(limited.deps);
      expect((await operations.request("/readyz")).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("sends a GET whose replica dropped the connection under it to one more replica, not to every one", async () => {
    // Three replicas that each drop every request they get: what a request that crashes
    // workspace would do. Sent once more (it may have been the replica, not the request), and no
    // further, so one such request cannot take down a whole fleet in turn.
    const hits: number[] = [0, 0, 0];
    const droppers = await Promise.all(
      hits.map(async (_, index) => {
        const server = createServer((incoming) => {
          hits[index] = (hits[index] ?? 0) + 1;
          incoming.socket.destroy();
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return server;
      }),
    );
    const urls = droppers.map(
      (server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    const replicated = await twoWays({ WORKSPACE_URL: urls.join(",") });
    try {
      const headers = { authorization: `Bearer ${token}` };
      const answer = await send(replicated.lean, {
        method: "GET",
        path: "/v1/projects/p1",
        headers,
      });
      expect(answer.status).toBe(502);
      expect(hits.reduce((sum, n) => sum + n, 0)).toBe(2);
    } finally {
      await replicated.close();
      for (const server of droppers) server.close();
    }
  });

  it("sends a tenant whose workspace replica refuses connections to the next one, a POST too, both ways", async () => {
    // A closed port the tenant's rendezvous order puts first, ahead of the echo server. The
    // tenant id is new each run, so ports are drawn until one wins (half of them do).
    let down: string | undefined;
    while (down === undefined) {
      const url = `http://127.0.0.1:${await closedPort()}`;
      if (rendezvousChoice(tenantId, [url, upstreamUrl]) === url) down = url;
    }
    const replicated = await twoWays({ WORKSPACE_URL: `${down},${upstreamUrl}` });
    try {
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      for (const sent of [
        { method: "GET", path: "/v1/projects/p1", headers },
        { method: "POST", path: "/v1/projects", headers, body: '{"name":"n"}' },
      ]) {
        const { lean } = await bothWays(replicated, sent);
        expect(lean.status, sent.method).toBe(200);
        expect(JSON.parse(lean.body).method).toBe(sent.method);
      }
    } finally {
      await replicated.close();
    }
  });
});

/** A port that was free a moment ago and is closed now: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
