/**
 * `pnpm bench:workspace`: requests per second through the gateway to workspace, for one tenant
 * and for 300 tenants at once (each with its own database, so the 300-tenant run also measures
 * the pool map: opening, evicting and reopening pools under the connection budget). Results go
 * to bench/results/<date>-workspace.json. Four real processes, as in the end-to-end test.
 *
 * Uses the local PostgreSQL and Redis (or ORYN_TEST_POSTGRES_URL / ORYN_TEST_REDIS_URL) with a
 * control-plane database, template and Redis prefix of its own, removed at the end.
 */
import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { startBenchStack, writeResults } from "./lib/bench-stack.ts";

const manyTenants = Number(process.env.BENCH_TENANTS ?? 300);
const durationSeconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
// The workspace's pool settings under test; their defaults unless set.
const workspaceSettings = {
  TENANT_CONNECTIONS_MAX: process.env.TENANT_CONNECTIONS_MAX ?? "50",
  TENANT_POOL_MAX: process.env.TENANT_POOL_MAX ?? "5",
  TENANT_POOLS_MAX: process.env.TENANT_POOLS_MAX ?? "100",
  TENANT_CONNECTION_WAIT_MS: process.env.TENANT_CONNECTION_WAIT_MS ?? "2000",
};

const stack = await startBenchStack(
  "benchws",
  { PROVISIONING_CONCURRENCY: "8" },
  { workspace: workspaceSettings },
);
const { oryn } = stack;

type Tenant = { token: string; projectId: string };
/** The fields of the answers this script reads. */
type AnswerBody = { status?: string; id?: string; tokens?: { accessToken: string } };

async function json(path: string, init: RequestInit & { token?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const answer = await fetch(`${oryn.gatewayUrl}${path}`, { ...init, headers });
  const body = (await answer.json()) as AnswerBody;
  return { status: answer.status, body };
}

/** Signs a company up through the gateway, waits for it to be active, and gives it a project. */
async function tenantWithProject(index: number): Promise<Tenant> {
  const slug = `w${index}-${randomBytes(3).toString("hex")}`;
  const signup = await json("/v1/signup", {
    method: "POST",
    body: JSON.stringify({
      company: { name: slug, slug },
      owner: { email: `${slug}@bench.test`, password: "bench password 123", name: "B" },
    }),
  });
  if (signup.status !== 202) throw new Error(`signup answered ${signup.status}`);
  const token = signup.body.tokens?.accessToken ?? "";
  for (;;) {
    const tenant = await json("/v1/tenant", { token });
    if (tenant.body.status === "active") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const project = await json("/v1/projects", {
    method: "POST",
    token,
    body: JSON.stringify({ name: "bench" }),
  });
  if (project.status !== 201) throw new Error(`project answered ${project.status}`);
  return { token, projectId: project.body.id ?? "" };
}

async function tenantsWithProjects(count: number): Promise<Tenant[]> {
  const made: Tenant[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) made.push(await tenantWithProject(next++));
    }),
  );
  return made;
}

/** autocannon against the gateway, each request for the next tenant in turn. */
async function load(tenants: Tenant[], kind: "read" | "write") {
  let turn = 0;
  const result = await autocannon({
    url: oryn.gatewayUrl,
    connections,
    duration: durationSeconds,
    requests: [
      {
        method: kind === "read" ? "GET" : "POST",
        setupRequest: (request) => {
          const tenant = tenants[turn++ % tenants.length] as Tenant;
          return {
            ...request,
            path: `/v1/projects/${tenant.projectId}/tasks${kind === "read" ? "?limit=20" : ""}`,
            headers: {
              authorization: `Bearer ${tenant.token}`,
              "content-type": "application/json",
            },
            ...(kind === "write" ? { body: JSON.stringify({ title: "bench task" }) } : {}),
          };
        },
      },
    ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    // Answers other than 2xx count in requestsPerSecond too: this is the rate of real work.
    successfulPerSecond: Math.round((result.requests.total - result.non2xx) / durationSeconds),
    latencyMs: {
      p50: result.latency.p50,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const results: Record<string, unknown> = {};
try {
  let started = performance.now();
  const many = await tenantsWithProjects(manyTenants);
  console.log(
    `[bench] ${manyTenants} tenants ready in ${Math.round(performance.now() - started)} ms`,
  );
  const one = many.slice(0, 1);
  for (const kind of ["read", "write"] as const) {
    started = performance.now();
    results[`singleTenant_${kind}`] = await load(one, kind);
    results[`${manyTenants}Tenants_${kind}`] = await load(many, kind);
    console.log(`[bench] ${kind} runs done in ${Math.round(performance.now() - started)} ms`);
  }
  const metrics = await fetch(`${oryn.services.workspace.url}/metrics`).then((r) => r.text());
  results.workspacePoolMetrics = Object.fromEntries(
    metrics
      .split("\n")
      .filter((line) => /^tenant_(pools|connection)/.test(line))
      .map((line) => {
        const cut = line.lastIndexOf(" ");
        return [line.slice(0, cut), Number(line.slice(cut + 1))];
      }),
  );
} finally {
  await stack.close();
}

writeResults("-workspace", {
  command: "pnpm bench:workspace",
  note:
    "Through the gateway (four real processes on this machine, load generator included). read = GET /v1/projects/{id}/tasks?limit=20, " +
    "write = POST /v1/projects/{id}/tasks; each request for the next tenant in turn; " +
    `${connections} connections for ${durationSeconds} s each. non2xx in the many-tenant runs are 503s from the connection budget.`,
  workspace: workspaceSettings,
  results,
});
