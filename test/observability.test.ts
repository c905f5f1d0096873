import { connect, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { describe, expect, test } from "@oryn/testing";
import { serviceEnv } from "@oryn/testing/context";
import { eventually } from "@oryn/testing/wait";

// A queue prefix of its own: other files' provisioners must not take this file's jobs, or this
// provisioner's metrics would miss them.
const it = test.override("stackEnv", { scope: "file" }, ({ run }) => ({
  ...serviceEnv(run),
  LOG_LEVEL: "info",
  REDIS_PREFIX: `${run.redisPrefix}-obs`,
}));

/** The JSON log lines a service printed that carry `requestId`. */
function logLinesWith(output: string, requestId: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .slice(0, -1) // complete lines only: the last may be half written
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.requestId === requestId);
}

// The file-wide stack starts inside the first test that asks for it: its budget covers the start.
describe("observability across the services", { timeout: 120_000 }, () => {
  it("one request's id appears in the gateway's log, the workspace's log and the tenant's audit row", async ({
    run,
    stack: oryn,
    gateway: call,
    signedUp: { token, tenantId },
  }) => {
    const created = await call("POST", "/v1/projects", {
      token,
      body: { name: "Traced" },
      headers: { "x-request-id": "chosen-by-the-client" },
    });
    expect(created.status).toBe(201);
    const requestId = created.headers.get("x-request-id") ?? "";
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

    // Logs are written as the answer goes out, asynchronously (pino's default stream): polled
    // for until both services' lines of the request are in, not given a fixed 200 ms.
    const linesOf = (service: "gateway" | "workspace") =>
      logLinesWith(oryn.services[service].output(), requestId);
    await eventually(
      async () => [linesOf("gateway"), linesOf("workspace")],
      (found) => found.every((lines) => lines.some((line) => line.status === 201)),
      { timeoutMs: 10_000 },
    );
    const gatewayLines = linesOf("gateway");
    const workspaceLines = linesOf("workspace");
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

  it("is measured in every service's /metrics: requests, rate limits, pools, queues, jobs, provisioning", async ({
    stack: oryn,
  }) => {
    // Runs after the test above: a tenant was provisioned and served.
    const scrape = async (url: string) => {
      const answer = await fetch(`${url}/metrics`);
      expect(answer.status).toBe(200);
      return answer.text();
    };
    const count = (text: string, name: string, ...labels: string[]) =>
      text
        .split("\n")
        .filter((line) => line.startsWith(name) && labels.every((label) => line.includes(label)))
        .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);

    const gateway = await scrape(oryn.gatewayOpsUrl);
    expect(
      count(gateway, "http_request_duration_seconds_count", 'route="/v1/signup"', 'status="202"'),
    ).toBeGreaterThan(0);
    expect(
      count(gateway, "oryn_rate_limit_decisions_total", 'bucket="tenant"', 'outcome="allowed"'),
    ).toBeGreaterThan(0);

    const workspace = await scrape(oryn.services.workspace.url);
    expect(count(workspace, "tenant_pools_opened_total")).toBeGreaterThan(0);
    expect(
      count(
        workspace,
        "http_request_duration_seconds_count",
        'route="/v1/projects"',
        'status="201"',
      ),
    ).toBeGreaterThan(0);

    const provisioner = await scrape(oryn.services.provisioner.url);
    expect(count(provisioner, "oryn_provisioning_seconds_count")).toBeGreaterThan(0);
    expect(
      count(
        provisioner,
        "oryn_job_duration_seconds_count",
        'queue="provisioning"',
        'outcome="completed"',
      ),
    ).toBeGreaterThan(0);
    expect(provisioner).toMatch(/oryn_queue_jobs\{[^}]*queue="provisioning"/);

    const billing = await scrape(oryn.services.billing.url);
    expect(billing).toMatch(/oryn_queue_jobs\{[^}]*queue="billing"/);
  });
});
