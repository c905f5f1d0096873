import { connect, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceEnv, testRun } from "./harness/context.ts";
import { jsonCaller } from "./harness/http.ts";
import { type Oryn, startOryn } from "./harness/processes.ts";

const run = testRun();

/** The JSON log lines a service printed that carry `requestId`. */
function logLinesWith(output: string, requestId: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.requestId === requestId);
}

describe("one request's id", () => {
  let oryn: Oryn;
  beforeAll(async () => {
    const env = { ...serviceEnv(run), LOG_LEVEL: "info" };
    oryn = await startOryn(env);
  }, 60_000);
  afterAll(() => oryn?.stop());

  it("appears in the gateway's log, the workspace's log and the tenant's audit row", async () => {
    const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
    const slug = `rid-${crypto.randomUUID().slice(0, 8)}`;
    const signup = await call("POST", "/v1/signup", {
      body: {
        company: { name: slug, slug },
        owner: { email: `o@${slug}.test`, password: "a long enough password", name: "O" },
      },
    });
    const token = signup.json.tokens.accessToken;
    const tenantId = signup.json.tenant.id;
    const deadline = Date.now() + 30_000;
    while ((await call("GET", "/v1/tenant", { token })).json.status !== "active") {
      if (Date.now() > deadline) throw new Error("tenant did not become active");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const created = await call("POST", "/v1/projects", {
      token,
      body: { name: "Traced" },
      headers: { "x-request-id": "chosen-by-the-client" },
    });
    expect(created.status).toBe(201);
    const requestId = created.headers.get("x-request-id") ?? "";
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

    // Logs are written as the answer goes out: give the pipes a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const gatewayLines = logLinesWith(oryn.services.gateway.output(), requestId);
    const workspaceLines = logLinesWith(oryn.services.workspace.output(), requestId);
    expect(gatewayLines).toContainEqual(
      expect.objectContaining({
        service: "gateway",
        status: 201,
        clientRequestId: "chosen-by-the-client",
      }),
    );
    expect(workspaceLines).toContainEqual(
      expect.objectContaining({ service: "workspace", status: 201 }),
    );

    const tenantDb = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenantId)), {
      max: 1,
    });
    try {
      const rows = await tenantDb`
        select request_id from audit_log where entity = 'project' and entity_id = ${created.json.id}`;
      expect(rows.map((row) => row.requestId)).toEqual([requestId]);
    } finally {
      await tenantDb.end();
    }
  }, 60_000);
});
