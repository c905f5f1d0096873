import { once } from "node:events";
import { createServer } from "node:http";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Span = {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
};

/** An OTLP/HTTP collector of our own that keeps every span it is sent (JSON encoding). */
async function startCollector() {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const payload = JSON.parse(body || "{}");
      for (const resourceSpans of payload.resourceSpans ?? []) {
        const service = resourceSpans.resource?.attributes?.find(
          (attribute: { key: string }) => attribute.key === "service.name",
        )?.value?.stringValue;
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) spans.push({ service, ...span });
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return { url: `http://127.0.0.1:${address.port}`, spans, close: () => server.close() };
}

describe("traces (OpenTelemetry)", () => {
  let oryn: Oryn;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  beforeAll(async () => {
    collector = await startCollector();
    oryn = await startOryn({
      ...serviceEnv(testRun()),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
  }, 60_000);
  afterAll(async () => {
    await oryn?.stop();
    collector?.close();
  });

  it("follow one request from the gateway through workspace to the tenant's database", async () => {
    const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
    const slug = `trace-${crypto.randomUUID().slice(0, 8)}`;
    const signup = await call("POST", "/v1/signup", {
      body: {
        company: { name: slug, slug },
        owner: { email: `o@${slug}.test`, password: "a long enough password", name: "O" },
      },
      headers: {
        // A client's trace is not continued: the gateway starts its own.
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      },
    });
    const token = signup.json.tokens.accessToken;
    const deadline = Date.now() + 30_000;
    while ((await call("GET", "/v1/tenant", { token })).json.status !== "active") {
      if (Date.now() > deadline) throw new Error("tenant did not become active");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await call("POST", "/v1/projects", { token, body: { name: "Traced" } })).status).toBe(
      201,
    );

    const find = (service: string, name: string) =>
      collector.spans.find((span) => span.service === service && span.name === name);
    const until = Date.now() + 10_000;
    while (!(find("gateway", "POST /v1/projects") && find("workspace", "POST /v1/projects"))) {
      if (Date.now() > until)
        throw new Error(
          `spans seen: ${JSON.stringify(collector.spans.map((s) => [s.service, s.name]))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const atGateway = find("gateway", "POST /v1/projects");
    const atWorkspace = find("workspace", "POST /v1/projects");
    expect(atWorkspace?.traceId).toBe(atGateway?.traceId);
    expect(atWorkspace?.parentSpanId).toBe(atGateway?.spanId);
    const database = collector.spans.find(
      (span) => span.name === "tenant database" && span.parentSpanId === atWorkspace?.spanId,
    );
    expect(database?.traceId).toBe(atGateway?.traceId);
    expect(find("gateway", "POST /v1/signup")?.traceId).not.toBe(
      "0af7651916cd43dd8448eb211c80319c",
    );
  }, 60_000);
});
