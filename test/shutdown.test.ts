import { once } from "node:events";
import { createServer } from "node:http";
import { connect, type Sql, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { freePort, type Oryn, startOryn, startService } from "@oryn/testing/processes";
import { signUpAndWait, testPassword } from "@oryn/testing/wait";
import { afterAll, describe, expect, it } from "vitest";

const run = testRun();

/**
 * Polls until the lock taken first is held ("share": our own transaction has it) or until a
 * query on `projects` waits for it ("projects").
 */
async function waitUntilWaiting(db: Sql, what: "share" | "projects") {
  for (const deadline = Date.now() + 10_000; ; ) {
    const [row] =
      what === "share"
        ? await db<{ n: number }[]>`
            select count(*)::int as n from pg_locks
            where relation = 'projects'::regclass and mode = 'AccessExclusiveLock' and granted`
        : await db<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query ilike '%projects%'`;
    if ((row?.n ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`never saw ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A gateway in front of an upstream that answers after `delayMs`, a signed-up tenant's request in
 * flight through it, and when that request has reached the upstream.
 */
async function gatewayWithSlowUpstream(delayMs: number) {
  let arrived: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const slow = createServer((_, res) => {
    arrived();
    setTimeout(
      () => res.writeHead(200, { "content-type": "application/json" }).end('{"items":[]}'),
      delayMs,
    );
  });
  slow.listen(0, "127.0.0.1");
  await once(slow, "listening");
  const address = slow.address();
  if (!address || typeof address === "string") throw new Error("no address");
  const gateway = await startService("gateway", await freePort(), {
    ...serviceEnv(run),
    OPS_PORT: String(await freePort()),
    WORKSPACE_URL: `http://127.0.0.1:${address.port}`,
    LOG_LEVEL: "info", // to see how it took each signal
  });
  const call = jsonCaller((path, init) => fetch(`${gateway.url}${path}`, init));
  const signup = await call("POST", "/v1/signup", {
    body: {
      company: { name: "Stopping", slug: `stop-${crypto.randomUUID().slice(0, 8)}` },
      owner: { email: `o-${crypto.randomUUID()}@stop.test`, password: testPassword, name: "O" },
    },
  });
  const inFlight = call("GET", "/v1/projects", { token: signup.json.tokens.accessToken });
  const close = async () => {
    await gateway.stop("SIGKILL");
    slow.closeAllConnections();
    slow.close();
  };
  return { gateway, reached, inFlight, close };
}

describe("graceful shutdown: a stop signal lets the request in flight finish", () => {
  let oryn: Oryn | undefined;
  afterAll(() => oryn?.stop());

  it("in the gateway, while an upstream is slow, through the copies of the signal a supervisor sends", async () => {
    const { gateway, reached, inFlight, close } = await gatewayWithSlowUpstream(1_000);
    try {
      // Ctrl-C only once the request is really in flight, between gateway and upstream; then
      // what npm start's concurrently sends meanwhile: the same SIGINT forwarded at once, and
      // SIGTERM once another service has stopped. Echoes, not a second Ctrl-C.
      await reached;
      const exited = gateway.stop("SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 20));
      gateway.process.kill("SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 80));
      gateway.process.kill("SIGTERM");
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ items: [] });
      expect(await exited).toBe(0);
      expect(gateway.output()).toContain('"msg":"already stopping"');
      expect(gateway.output()).not.toContain("second signal");
      // And it no longer accepts.
      await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
    } finally {
      await close();
    }
  }, 60_000);

  it("in the gateway, a second Ctrl-C a while after the first exits at once", async () => {
    const { gateway, reached, inFlight, close } = await gatewayWithSlowUpstream(10_000);
    // Its failure taken at once: it comes as the process exits, before the checks below.
    const outcome = inFlight.catch((error: Error) => error);
    try {
      await reached;
      const exited = gateway.stop("SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      gateway.process.kill("SIGINT");
      expect(await exited).toBe(1);
      expect(gateway.output()).toContain('"msg":"second signal, exiting now"');
      // The request it was waiting on is cut off, not answered.
      expect(await outcome).toBeInstanceOf(Error);
    } finally {
      await close();
    }
  }, 60_000);

  it("in the workspace, while the tenant's database is slow", async () => {
    oryn = await startOryn(serviceEnv(run));
    const gatewayUrl = oryn.gatewayUrl;
    const call = jsonCaller((path, init) => fetch(`${gatewayUrl}${path}`, init));
    const { token, tenantId } = await signUpAndWait(call);
    expect((await call("POST", "/v1/projects", { token, body: { name: "Before" } })).status).toBe(
      201,
    );
    // Hold the projects table, so the list below waits inside the workspace.
    const tenantDb = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenantId)), {
      max: 2, // one holds the lock, one watches
    });
    try {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const locking = tenantDb.begin(async (tx) => {
        await tx`lock table projects in access exclusive mode`;
        await held;
      });
      await waitUntilWaiting(tenantDb, "share");
      const inFlight = call("GET", "/v1/projects", { token });
      // SIGTERM only once the workspace's query is really waiting on the lock.
      await waitUntilWaiting(tenantDb, "projects");
      const exited = oryn.services.workspace.stop("SIGTERM");
      // It still waits: the answer must come from a process that was told to stop.
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await locking;
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.json.items.map((item: { name: string }) => item.name)).toEqual(["Before"]);
      expect(await exited).toBe(0);
    } finally {
      await tenantDb.end();
    }
  }, 90_000);
});
