import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { BenchStack } from "./bench-stack.ts";
import type { LoadResult } from "./load.ts";
import type { ScenarioName, Settings } from "./settings.ts";
import { round } from "./stats.ts";

const root = join(import.meta.dirname, "..", "..");
type Results = Partial<Record<ScenarioName, Record<string, unknown>>>;

/** The machine and the versions of everything measured, for the report. */
export async function environment(stack: BenchStack) {
  const [pg] = await stack.controlPlane<{ version: string }[]>`select version()`;
  const redis = new Redis(stack.redisUrl);
  const info = await redis.info("server").finally(() => redis.disconnect());
  const autocannon = JSON.parse(
    readFileSync(join(root, "node_modules", "autocannon", "package.json"), "utf8"),
  ) as { version: string };
  return {
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? "unknown",
      ramGiB: round(totalmem() / 2 ** 30, 1),
      kernel: release(),
    },
    versions: {
      node: process.version,
      postgres: pg?.version.split(" on ")[0] ?? "unknown",
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown",
      // nginx -v prints to stderr.
      nginx: existsSync("/usr/sbin/nginx")
        ? spawnSync("/usr/sbin/nginx", ["-v"], { encoding: "utf8" }).stderr.trim()
        : "not installed",
      autocannon: autocannon.version,
    },
  };
}

export type Figure = {
  figure: string;
  target: string;
  measured: string;
  pass: boolean | null;
};

const ok = (result: Record<string, unknown> | undefined) =>
  (result?.load as LoadResult | undefined)?.okPerSecond;
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : round(a / b, 2);

/** The issue's target table, each figure a ratio or median from this one run. */
export function figures(results: Results): Figure[] {
  const rows: Figure[] = [];
  const add = (
    figure: string,
    target: string,
    value: number | undefined,
    holds: (v: number) => boolean,
    shown = `${value}`,
  ) =>
    rows.push({
      figure,
      target,
      measured: value === undefined ? "not run" : shown,
      pass: value === undefined ? null : holds(value),
    });
  const gateway = ok(results.gateway);
  add(
    "gateway path ÷ workspace direct (throughput)",
    "≥ 0.60",
    ratio(gateway, ok(results.workspace)),
    (v) => v >= 0.6,
  );
  add(
    "gateway path ÷ nginx path (throughput)",
    "≥ 0.85",
    ratio(gateway, ok(results.nginx)),
    (v) => v >= 0.85,
  );
  add(
    "gateway path ÷ bare hono ceiling",
    "≥ 0.25",
    ratio(gateway, ok(results.ceiling)),
    (v) => v >= 0.25,
  );
  // Issue 17: what each proxy spends per answer, in its own process, read side by side.
  const cpu = (scenario: keyof Results, process: string) =>
    (results[scenario]?.load as LoadResult | undefined)?.cpuPerAnswer?.[process];
  add(
    "gateway CPU per proxied answer ÷ nginx CPU per proxied answer",
    "≤ 3",
    ratio(cpu("gateway", "gateway"), cpu("nginx", "nginx")),
    (v) => v <= 3,
  );
  add(
    "gateway CPU per proxied answer ÷ bare node:http + undici proxy's (the Node floor)",
    "(figure)",
    ratio(cpu("gateway", "gateway"), cpu("proxy-floor", "proxy floor")),
    () => true,
  );
  const rejected = results.rejected?.rejectedPerSecond as number | undefined;
  add(
    "rejected (429) throughput ÷ allowed throughput",
    "≥ 2",
    ratio(rejected, gateway),
    (v) => v >= 2,
  );
  const many = results["many-tenants"] as
    | {
        zipf: { load: LoadResult };
        single: { load: LoadResult };
        mostConnections: number;
        connectionBudget: number;
        tenants: number;
      }
    | undefined;
  const zipf = ratio(many?.zipf.load.okPerSecond, many?.single.load.okPerSecond);
  add(
    `${many?.tenants ?? "1,000"}-tenant Zipf ÷ single tenant (throughput), connections ≤ budget`,
    "≥ 0.70",
    zipf,
    (v) => v >= 0.7 && (many?.mostConnections ?? 0) <= (many?.connectionBudget ?? 0),
    `${zipf}, ${many?.mostConnections} connections of ${many?.connectionBudget}`,
  );
  const signup = results.provisioning as
    | {
        concurrency: number;
        client: { medianMs: number; p95Ms: number };
        server: { medianMs: number; p95Ms: number };
      }
    | undefined;
  add(
    `signup-to-active, median / p95, ${signup?.concurrency ?? 200} concurrent (client; server)`,
    "≤ 150 ms / ≤ 1 s",
    signup?.client.medianMs,
    () =>
      (signup?.client.medianMs ?? Infinity) <= 150 && (signup?.client.p95Ms ?? Infinity) <= 1000,
    `${signup?.client.medianMs} / ${signup?.client.p95Ms} ms; ${signup?.server.medianMs} / ${signup?.server.p95Ms} ms`,
  );
  const hooks = results.webhooks as
    | { workspaceCpuRatio?: number; deliveredPerSecond?: number }
    | undefined;
  add(
    "workspace CPU per POST, webhooks on ÷ off",
    "≤ 1.15",
    hooks?.workspaceCpuRatio,
    (v) => v <= 1.15,
  );
  add(
    "webhook events delivered per second, end to end",
    "(figure)",
    hooks?.deliveredPerSecond,
    () => true,
  );
  const fleet = results.fleet as
    | {
        tenantDatabases: number;
        migrateAll: { wallMs: number; failed: number };
        noopRerun: { wallMs: number };
      }
    | undefined;
  add(
    `fleet migration of ${fleet?.tenantDatabases ?? "1,000"} databases / no-op re-run`,
    "≤ 60 s / ≤ 5 s",
    fleet?.migrateAll.wallMs,
    () =>
      (fleet?.migrateAll.wallMs ?? Infinity) <= 60_000 &&
      (fleet?.noopRerun.wallMs ?? Infinity) <= 5_000 &&
      fleet?.migrateAll.failed === 0,
    `${round((fleet?.migrateAll.wallMs ?? 0) / 1000, 1)} s / ${round((fleet?.noopRerun.wallMs ?? 0) / 1000, 1)} s`,
  );
  return rows;
}

/** Writes bench/results/<date>[-only-…].json; returns its path. */
export function writeResultsFile(
  report: Record<string, unknown>,
  settings: Settings,
  full: boolean,
) {
  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const file = join(dir, `${date}${full ? "" : `-only-${settings.only.join("-")}`}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
