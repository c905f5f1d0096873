import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, createLogger, createMetrics, useCommonHandlers } from "@oryn/shared";
import { freePort } from "@oryn/testing/processes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpstream } from "../src/proxy/upstream.ts";

/** An upstream that echoes what it received, or misbehaves on request. */
let upstream: Server;
let upstreamUrl: string;
beforeAll(async () => {
  upstream = createServer((request, response) => {
    if (request.url === "/slow") return void setTimeout(() => response.end("late"), 6_000);
    if (request.url === "/broken") return void request.socket.destroy();
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      response.setHeader("content-type", "application/json");
      response.setHeader("connection", "keep-alive, x-upstream-hop");
      response.setHeader("keep-alive", "timeout=5");
      response.setHeader("x-upstream-hop", "private to this hop");
      response.setHeader("x-oryn-internal", "secret");
      response.setHeader("location", "/somewhere");
      response.end(
        JSON.stringify({
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

function proxyTo(url: string) {
  const app = createApp();
  useCommonHandlers(app, {
    logger: createLogger("proxy-test", "silent"),
    metrics: createMetrics("proxy-test"),
  });
  // Two seconds, not a few hundred ms: the upstream runs in this process, and a stall of the
  // process that long (GC, two busy cores) let the time-out win over a served request.
  const target = createUpstream("echo", url, { timeoutMs: 2_000 });
  app.all("/*", (c) => target.forward(c, { clientIp: "203.0.113.9" }));
  return { app, close: () => target.close() };
}

describe("the gateway's proxy", () => {
  it("forwards method, path, query, body and the request id, and strips internal and hop-by-hop headers both ways", async () => {
    const proxy = proxyTo(upstreamUrl);
    const answer = await proxy.app.request("/v1/projects?limit=2", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer token",
        "x-request-id": "req-123",
        "x-oryn-tenant-id": "someone-else",
        "x-forwarded-for": "10.0.0.1",
        "x-principal": "admin",
        connection: "x-custom",
        "x-custom": "hop",
        "idempotency-key": "k1",
      },
      body: '{"name":"p"}',
    });
    expect(answer.status).toBe(200);
    const echoed = (await answer.json()) as {
      method: string;
      url: string;
      headers: IncomingHttpHeaders;
      body: string;
    };
    expect(echoed).toMatchObject({
      method: "POST",
      url: "/v1/projects?limit=2",
      body: '{"name":"p"}',
    });
    expect(echoed.headers).toMatchObject({
      authorization: "Bearer token",
      "x-request-id": "req-123",
      "x-forwarded-for": "203.0.113.9",
      "idempotency-key": "k1",
    });
    for (const header of ["x-oryn-tenant-id", "x-principal", "x-custom"])
      expect(echoed.headers).not.toHaveProperty(header);
    for (const header of ["x-oryn-internal", "keep-alive", "connection", "x-upstream-hop"]) {
      expect(answer.headers.get(header), header).toBeNull();
    }
    expect(answer.headers.get("location")).toBe("/somewhere");
    expect(answer.headers.get("x-request-id")).toBe("req-123");
    await proxy.close();
  });

  it("answers 503 when the upstream is down, 504 when it is slow and 502 when it breaks, as problem+json", async () => {
    const down = proxyTo(`http://127.0.0.1:${await freePort()}`);
    const up = proxyTo(upstreamUrl);
    const cases: Array<[ReturnType<typeof proxyTo>, string, number, string]> = [
      [down, "/anything", 503, "upstream_unavailable"],
      [up, "/slow", 504, "upstream_timeout"],
      [up, "/broken", 502, "upstream_unavailable"],
    ];
    for (const [proxy, path, status, code] of cases) {
      const answer = await proxy.app.request(path, {
        headers: { "x-request-id": `req-${status}` },
      });
      expect(answer.status, path).toBe(status);
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      expect(await answer.json()).toMatchObject({ status, code, requestId: `req-${status}` });
    }
    await Promise.all([down.close(), up.close()]);
  });
});
