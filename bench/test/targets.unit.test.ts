import { describe, expect, it } from "vitest";
import { benchmarksMarkdown } from "../lib/benchmarks-md.ts";
import { extraFigures, type Results, targetRows, targetsMarkdown } from "../lib/targets.ts";
import { harmonic, perfectCacheBound } from "../lib/zipf-bound.ts";

describe("the perfect-cache bound", () => {
  it("is 1 - H(B)/H(N) under Zipf s = 1", () => {
    expect(harmonic(1)).toBe(1);
    expect(harmonic(4)).toBeCloseTo(25 / 12, 12);
    // The figure for 1,000 tenants and a budget of 100, and for two budgets of 100.
    expect(perfectCacheBound(100, 1000)).toBeCloseTo(0.307, 3);
    expect(perfectCacheBound(200, 1000)).toBeCloseTo(0.2147, 4);
  });

  it("is zero when the budget holds every tenant, and grows as the budget shrinks", () => {
    expect(perfectCacheBound(1000, 1000)).toBe(0);
    expect(perfectCacheBound(2000, 1000)).toBe(0);
    expect(perfectCacheBound(1, 1000)).toBeCloseTo(1 - 1 / harmonic(1000), 12);
    expect(perfectCacheBound(50, 1000)).toBeGreaterThan(perfectCacheBound(100, 1000));
  });
});

const load = (okPerSecond: number, cpuPerAnswer: Record<string, number> = {}) => ({
  load: { okPerSecond, cpuPerAnswer, latencyMs: { p50: 1, p99: 2 } },
});

/** A run where every scenario ran: some targets met, some missed. */
const fullRun: Results = {
  ceiling: load(20_000, { ceiling: 30 }),
  workspace: load(4000, { workspace: 90 }),
  gateway: load(3200, { gateway: 200 }),
  nginx: load(3800, { nginx: 50 }),
  "proxy-floor": load(3300, { "proxy floor": 150 }),
  rejected: { rejectedPerSecond: 16_000 },
  provisioning: {
    concurrency: 200,
    tenantsPerSecond: 20,
    argon2id: { hashesPerSecond: 40 },
    client: { medianMs: 900, p95Ms: 1500 },
    server: { medianMs: 500, p95Ms: 800 },
  },
  "many-tenants": {
    tenants: 1000,
    connectionBudget: 100,
    mostConnections: 100,
    zipf: { ...load(500), connections: { openedPerAnswer: 0.33 } },
    single: load(1000),
  },
  "many-tenants-fit": {
    tenants: 1000,
    connectionBudget: 1050,
    zipf: { ...load(900), connections: { openedPerAnswer: 0 } },
    single: load(1000),
  },
  replicas: { newSessionsPerAnswer: 0.3, bound: 0.2147 },
  webhooks: { workspaceCpuRatio: 1.2, deliveredPerSecond: 90 },
  fleet: {
    tenantDatabases: 1200,
    migrateAll: { wallMs: 30_000, failed: 0 },
    noopRerun: { wallMs: 1000 },
  },
};

describe("the verdict table", () => {
  it("has one row per target of issue 17, each not measured when nothing ran", () => {
    const rows = targetRows({});
    expect(rows.map((row) => row.id)).toEqual([
      "gateway-cpu",
      "workspace-cpu",
      "gateway-throughput",
      "many-tenants-sessions",
      "many-tenants-fit",
      "replicas-sessions",
      "signups",
      "rejected",
      "fleet",
    ]);
    expect(rows.every((row) => row.verdict === "not measured" && row.figure === undefined)).toBe(
      true,
    );
  });

  it("judges each figure of a run against its bound", () => {
    const rows = Object.fromEntries(targetRows(fullRun).map((row) => [row.id, row]));
    const verdicts = Object.fromEntries(Object.entries(rows).map(([id, row]) => [id, row.verdict]));
    expect(verdicts).toEqual({
      "gateway-cpu": "miss", // 200 / 50 = 4 > 3
      "workspace-cpu": "pass", // 90 / 30 = 3
      "gateway-throughput": "pass", // 3200 / 4000 = 0.8
      "many-tenants-sessions": "pass", // 0.33 / 0.307 = 1.075
      "many-tenants-fit": "pass", // 0.9
      "replicas-sessions": "miss", // 0.3 / 0.2147 = 1.397
      signups: "miss", // 20 / 40 = 0.5
      rejected: "pass", // 16000 / 3200 = 5
      fleet: "pass",
    });
    expect(rows["gateway-cpu"]?.figure).toBe(4);
    expect(rows["many-tenants-sessions"]?.figure).toBeCloseTo(0.33 / 0.307, 2);
    // The bound is printed beside the measured figure.
    expect(rows["many-tenants-sessions"]?.from).toContain("bound 0.307");
    expect(rows["many-tenants-sessions"]?.from).toContain("1 - H(100)/H(1000)");
    expect(rows.signups?.figure).toBe(0.5);
  });

  it("misses the fleet target on a slow no-op re-run or a failed migration", () => {
    const slow = { ...fullRun, fleet: { ...(fullRun.fleet ?? {}), noopRerun: { wallMs: 6000 } } };
    expect(targetRows(slow).find((row) => row.id === "fleet")?.verdict).toBe("miss");
    const failed = {
      ...fullRun,
      fleet: { ...(fullRun.fleet ?? {}), migrateAll: { wallMs: 30_000, failed: 1 } },
    };
    expect(targetRows(failed).find((row) => row.id === "fleet")?.verdict).toBe("miss");
  });

  it("marks a target whose scenario failed as not measured", () => {
    const rows = targetRows({ ...fullRun, nginx: { error: "Error: nginx did not start" } });
    expect(rows.find((row) => row.id === "gateway-cpu")?.verdict).toBe("not measured");
    expect(rows.find((row) => row.id === "workspace-cpu")?.verdict).toBe("pass");
  });

  it("prints every row with its figure, bound and verdict", () => {
    const table = targetsMarkdown(targetRows({ gateway: fullRun.gateway, nginx: fullRun.nginx }));
    const lines = table.split("\n");
    expect(lines).toHaveLength(2 + 9);
    expect(lines[2]).toBe(
      "| gateway CPU per proxied answer ÷ nginx CPU per proxied answer | 4 | 200 µs ÷ 50 µs | ≤ 3 | miss |",
    );
    expect(lines.filter((line) => line.endsWith("| not measured |"))).toHaveLength(8);
  });

  it("keeps the older figures below the targets", () => {
    const figures = Object.fromEntries(extraFigures(fullRun).map((f) => [f.figure, f.measured]));
    expect(figures["workspace CPU per POST, webhooks on ÷ off"]).toBe("1.2");
    expect(figures["webhook events delivered per second, end to end"]).toBe("90");
    expect(extraFigures({})).toEqual([]);
  });
});

describe("docs/benchmarks.md", () => {
  const report = (results: Results) => ({
    date: "2026-12-06T06:00:00.000Z",
    command: "pnpm bench",
    wallSeconds: 1,
    settings: { connections: 50, seconds: 10, warmupSeconds: 2 },
    placement: {},
    machine: {},
    versions: {},
    targets: targetRows(results),
    extraFigures: extraFigures(results),
    results,
  });

  it("keeps the hand-written account of a target still missed, and drops it once met", () => {
    const first = benchmarksMarkdown(report(fullRun));
    expect(first).toContain("## Missed targets: where the remaining microseconds go");
    expect(first).toContain("<!-- account gateway-cpu -->\n_Not written yet");
    const written = first.replace(
      /<!-- account gateway-cpu -->\n[\s\S]*?<!-- \/account gateway-cpu -->/,
      "<!-- account gateway-cpu -->\nWritten by the lead.\n<!-- /account gateway-cpu -->",
    );
    expect(benchmarksMarkdown(report(fullRun), written)).toContain(
      "<!-- account gateway-cpu -->\nWritten by the lead.\n<!-- /account gateway-cpu -->",
    );
    const met = { ...fullRun, gateway: load(3200, { gateway: 100 }) };
    expect(benchmarksMarkdown(report(met), written)).not.toContain("account gateway-cpu");
  });
});
