import { randomUUID } from "node:crypto";
import { connect, type Sql } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { type Answer, jsonCaller, listAll } from "@oryn/testing/http";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { eventually, signUpAndWait } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFault } from "./report.ts";
import { type Tenant, writeLoad } from "./write-load.ts";

/**
 * Workspace SIGKILLed and started again, several times, while clients of two tenants write and
 * read through the gateway. Meanwhile the gateway must answer every request with a 502/503/504
 * problem+json (never leave one hanging); afterwards every write it acknowledged must be there
 * with the content acknowledged, and retrying the unacknowledged POSTs with their Idempotency-Key
 * must not make a second copy of any that had in fact been committed.
 */
const run = testRun();
const kills = 3;
// A request that has no answer after this long is hung: counted, and the test fails.
const clientTimeoutMs = 15_000;
// The gateway gives up on workspace after this long (504), so a frozen workspace is visible.
const upstreamTimeoutMs = 3_000;

let oryn: Oryn;
let controlPlane: Sql;

beforeAll(async () => {
  oryn = await startOryn(serviceEnv(run), {
    gateway: {
      RATE_LIMIT_TENANT_PER_MINUTE: "1000000",
      UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
    },
  });
  controlPlane = connect(run.controlPlaneUrl, { max: 1 });
}, 90_000);
afterAll(async () => {
  // A workspace left frozen by a failed test would ignore SIGTERM until the harness's SIGKILL.
  oryn?.services.workspace.process.kill("SIGCONT");
  await oryn?.stop();
  await controlPlane?.end();
});

describe("workspace killed and restarted under load", () => {
  it("is answered 502/503 quickly meanwhile, and loses no acknowledged write", async () => {
    const call = jsonCaller((path, init) =>
      fetch(`${oryn.gatewayUrl}${path}`, {
        ...init,
        signal: AbortSignal.timeout(clientTimeoutMs),
      }),
    );
    const [a, b] = await Promise.all([signUpAndWait(call), signUpAndWait(call)]);
    const tenants: Tenant[] = [a, b].map((t) => ({ ...t, marker: `[${t.slug}]` }));
    // Enough room for a few hundred projects (the free plan stops at 3).
    await controlPlane`update tenants set plan = 'business' where id in ${controlPlane(tenants.map((t) => t.tenantId))}`;
    for (const tenant of tenants) {
      await eventually(
        () => call("GET", "/v1/projects", { token: tenant.token }),
        (answer) => answer.status === 200,
        { timeoutMs: 10_000 },
      );
    }

    const { seen, acked, pending, leaks, patchesAcked, writer, reader } = writeLoad();
    let running = true;
    const [ta, tb] = tenants as [Tenant, Tenant];
    const writers = [
      writer(call, ta, "w1", () => running),
      writer(call, ta, "w2", () => running),
      writer(call, tb, "w3", () => running),
    ];
    const readers = (async () => {
      while (running) {
        await Promise.all([reader(call, ta, [tb.marker]), reader(call, tb, [ta.marker])]);
      }
    })();

    // Kill workspace once some writes went through, leave it down a moment, start it again,
    // and wait until clients are served before the next kill.
    const servedSince = async (count: number) => {
      const from = acked.length;
      await eventually(
        async () => acked.length - from,
        (served) => served >= count,
        { timeoutMs: 30_000 },
      );
    };
    let killed = 0;
    try {
      for (let cycle = 0; cycle < kills; cycle++) {
        await servedSince(20);
        await oryn.kill("workspace");
        killed++;
        await new Promise((resolve) => setTimeout(resolve, 800));
        await oryn.revive("workspace");
      }
      await servedSince(20);
    } finally {
      running = false;
    }
    const finished = await Promise.all(writers);
    await readers;
    const loadRequests = seen.requests;
    const loadFailures = seen.failures + seen.hung + seen.noAnswer;

    // Retry every unanswered POST with its key and body, as a careful client would.
    let replayedOnRetry = 0;
    for (const retry of pending) {
      const answer = await eventually(
        () =>
          call("POST", retry.path, {
            token: retry.tenant.token,
            headers: { "idempotency-key": retry.key },
            body: retry.body,
          }),
        (answer) => answer.status < 500,
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      expect(answer.status, JSON.stringify(answer.json)).toBe(201);
      if (answer.headers.get("idempotent-replayed") === "true") replayedOnRetry++;
      const field = "title" in retry.body ? "title" : "name";
      acked.push({
        path: `${retry.path}/${answer.json.id}`,
        field,
        value: retry.body[field] as string,
        tenant: retry.tenant,
      });
    }

    // Every acknowledged write is there, with what was acknowledged.
    let lost = 0;
    for (const write of acked) {
      const answer = await call("GET", write.path, { token: write.tenant.token });
      if (answer.status !== 200 || answer.json[write.field] !== write.value) lost++;
    }
    // The last acknowledged PATCH, or one sent after it that got no answer, is what is stored.
    for (const { projectPath, patch, tenant } of finished) {
      const answer = await call("GET", projectPath, { token: tenant.token });
      const stored = answer.json?.description;
      if (stored !== patch.acked && !patch.unanswered.includes(stored)) lost++;
    }
    // No name or title twice: the retries did not copy what had been committed.
    let duplicates = 0;
    for (const tenant of tenants) {
      const projects = await listAll(call, "/v1/projects", tenant.token);
      const values = projects.map((project) => project.name as string);
      for (const project of projects.filter((p) => / own$/.test(p.name))) {
        const tasks = await listAll(call, `/v1/projects/${project.id}/tasks`, tenant.token);
        values.push(...tasks.map((task) => task.title as string));
      }
      duplicates += values.length - new Set(values).size;
      // And none of the other tenant's.
      for (const other of tenants.filter((t) => t !== tenant)) {
        leaks.push(...values.filter((value) => value.startsWith(other.marker)));
      }
    }

    expect(killed).toBe(kills);
    expect(seen.unexpected, seen.unexpected.join("\n")).toEqual([]);
    expect(seen.hung).toBe(0);
    expect(seen.noAnswer).toBe(0);
    expect(seen.failures).toBeGreaterThan(0);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(leaks).toEqual([]);

    const detail = {
      acknowledgedPosts: acked.length - pending.length,
      acknowledgedPatches: patchesAcked(),
      retriedAfterNoAnswer: pending.length,
      retriesThatWereReplays: replayedOnRetry,
      slowestFailureMs: Math.round(seen.slowestFailureMs),
      statuses: Object.fromEntries([...seen.statuses].sort(([x], [y]) => x - y)),
    };
    console.log(`[workspace restart] ${JSON.stringify({ requests: loadRequests, ...detail })}`);
    recordFault({
      fault: "workspace SIGKILL and restart under load",
      provoked: killed,
      requests: loadRequests,
      clientErrors: loadFailures,
      dataLost: lost + duplicates,
      crossTenantLeaks: leaks.length,
      detail,
    });
  }, 120_000);
});

describe("workspace frozen past the gateway's timeout", () => {
  it("answers 504 meanwhile; the writes it committed late are replayed, not copied, on retry", async () => {
    const call = jsonCaller((path, init) =>
      fetch(`${oryn.gatewayUrl}${path}`, { ...init, signal: AbortSignal.timeout(clientTimeoutMs) }),
    );
    const tenant = await signUpAndWait(call);
    // Room for copies, so a retry that copied would show as one rather than as a 402.
    await controlPlane`update tenants set plan = 'business' where id = ${tenant.tenantId}`;
    await eventually(
      () => call("GET", "/v1/projects", { token: tenant.token }),
      (answer) => answer.status === 200,
      { timeoutMs: 10_000 },
    );
    const writes = Array.from({ length: 3 }, (_, i) => ({
      key: randomUUID(),
      body: { name: `frozen ${i} ${tenant.slug} «'"» 🧊` },
    }));
    const post = (write: (typeof writes)[number]) =>
      call("POST", "/v1/projects", {
        token: tenant.token,
        headers: { "idempotency-key": write.key },
        body: write.body,
      });
    // SIGSTOP: the kernel still accepts the gateway's connections and buffers the requests, but
    // nothing answers until SIGCONT, when workspace reads them and commits.
    const workspace = oryn.services.workspace.process;
    workspace.kill("SIGSTOP");
    let answers: Array<Answer & { ms: number }>;
    try {
      answers = await Promise.all(
        writes.map(async (write) => {
          const started = performance.now();
          const answer = await post(write);
          return { ...answer, ms: performance.now() - started };
        }),
      );
    } finally {
      workspace.kill("SIGCONT");
    }
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.json)).toBe(504);
      expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(answer.json.code).toBe("upstream_timeout");
    }
    // The client retries with the same key once workspace answers again.
    const retries = [];
    for (const write of writes) {
      retries.push(
        await eventually(
          () => post(write),
          (answer) => answer.status < 500,
          { timeoutMs: 20_000, intervalMs: 200 },
        ),
      );
    }
    expect(retries.map((answer) => answer.status)).toEqual(writes.map(() => 201));
    const replays = retries.filter((a) => a.headers.get("idempotent-replayed") === "true").length;
    const names = (await listAll(call, "/v1/projects", tenant.token)).map((p) => p.name);
    const copies = writes.map((write) => names.filter((name) => name === write.body.name).length);
    expect(copies).toEqual(writes.map(() => 1));
    // The point of the scenario: writes committed after their 504 (workspace read the buffered
    // requests on SIGCONT), which only the key keeps from being written twice.
    expect(replays).toBeGreaterThan(0);

    const detail = {
      timedOut: answers.length,
      slowestFailureMs: Math.round(Math.max(...answers.map((answer) => answer.ms))),
      committedWhileTimedOut: replays,
    };
    console.log(`[workspace frozen] ${JSON.stringify(detail)}`);
    recordFault({
      fault: "workspace frozen (SIGSTOP) past the gateway timeout",
      provoked: 1,
      requests: answers.length + retries.length,
      clientErrors: answers.length,
      dataLost: copies.filter((n) => n !== 1).length,
      crossTenantLeaks: 0,
      detail,
    });
  }, 60_000);
});
