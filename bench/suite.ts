/**
 * `pnpm bench`: every scenario in one run on one machine, so their ratios mean something, and
 * issue 17's targets judged from them; results in bench/results/<date>.json and
 * docs/benchmarks.md. See docs/benchmarks.md for the scenarios, the settings (BENCH_*) and
 * `--only`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBenchStack } from "./lib/bench-stack.ts";
import { benchTenants } from "./lib/bench-tenants.ts";
import { benchmarksMarkdown } from "./lib/benchmarks-md.ts";
import { stopLoads } from "./lib/load.ts";
import { untilQuiet } from "./lib/quiet.ts";
import { environment, writeResultsFile } from "./lib/report.ts";
import type { BenchContext, Scenario } from "./lib/scenario.ts";
import { readSettings, scenarioNames } from "./lib/settings.ts";
import { sparesReady, spareTarget } from "./lib/spares.ts";
import { round } from "./lib/stats.ts";
import { extraFigures, extraFiguresMarkdown, targetRows, targetsMarkdown } from "./lib/targets.ts";
import { ceiling } from "./scenarios/ceiling.ts";
import { databaseFloor } from "./scenarios/database-floor.ts";
import { fleet } from "./scenarios/fleet.ts";
import { throughGateway } from "./scenarios/gateway.ts";
import { manyTenants } from "./scenarios/many-tenants.ts";
import { fitBudget, manyTenantsFit } from "./scenarios/many-tenants-fit.ts";
import { throughNginx } from "./scenarios/nginx.ts";
import { provisioning } from "./scenarios/provisioning.ts";
import { proxyFloor } from "./scenarios/proxy-floor.ts";
import { rejectedTraffic } from "./scenarios/rejected.ts";
import { replicas } from "./scenarios/replicas.ts";
import { webhooks } from "./scenarios/webhooks.ts";
import { workspaceDirect } from "./scenarios/workspace.ts";

// Run order: fleet last, as it migrates the template past the real history.
const scenarios: Scenario[] = [
  ceiling,
  workspaceDirect,
  databaseFloor,
  throughGateway,
  throughNginx,
  proxyFloor,
  rejectedTraffic,
  provisioning,
  manyTenants,
  manyTenantsFit,
  replicas,
  webhooks,
  fleet,
];

/**
 * The scenarios asked for, in the order asked (`--only b,a` runs b first: each starts from a quiet
 * stack, so the order does not change its figures), except `fleet`, always last: it moves the
 * template past the real migration history, which later signups would inherit.
 */
function runOrder(all: Scenario[], only: readonly string[]): Scenario[] {
  const chosen = only.flatMap((name) => all.filter((scenario) => scenario.name === name));
  return [
    ...chosen.filter((scenario) => scenario.name !== "fleet"),
    ...chosen.filter((scenario) => scenario.name === "fleet"),
  ];
}

const settings = readSettings(process.argv.slice(2), process.env);
const full = settings.only.length === scenarioNames.length;
const started = performance.now();
// Ctrl-C or a kill, at any point (also while the stack starts): stop the load, remove everything
// the bench made, and leave without figures.
let interrupted = false;
const starting = startBenchStack({
  name: "benchsuite",
  placement: { cpus: settings.serverCpus },
  // The budget-fits-all scenario's workspace may hold every tenant's pool full, beside the stack's
  // workspace and its budget (a slot costs shared memory only; a backend only once opened).
  maxConnections: Math.max(300, fitBudget(settings.tenants) + settings.connectionBudget + 200),
  settings: {
    // Unset: the provisioner's own default, as a deployment gets it.
    ...(process.env.PROVISIONING_CONCURRENCY
      ? { PROVISIONING_CONCURRENCY: process.env.PROVISIONING_CONCURRENCY }
      : {}),
    // A short sweep period makes its tick land inside the signup burst on every run.
    ...(process.env.PROVISIONING_SWEEP_SECONDS
      ? { PROVISIONING_SWEEP_SECONDS: process.env.PROVISIONING_SWEEP_SECONDS }
      : {}),
    TENANT_SPARE_DATABASES: String(spareTarget(settings.concurrent)),
    // BENCH_CPU_PROF=<dir>: every service writes a V8 CPU profile there when it stops (open it in
    // Chrome DevTools or speedscope for a flame graph). Profiling slows them: not for figures.
    // BENCH_NODE_OPTIONS: the services' NODE_OPTIONS otherwise, e.g. --perf-basic-prof, so that
    // `perf record` (which also sees the kernel and V8's compiler and GC threads) names JS frames.
    ...(process.env.BENCH_CPU_PROF
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` }
      : process.env.BENCH_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS }
        : {}),
  },
  overrides: { workspace: { TENANT_CONNECTIONS_MAX: String(settings.connectionBudget) } },
});
/** Stops the load, removes everything the bench made (a start that fails removes its own), exits. */
function abandon(exitCode: number) {
  stopLoads();
  void starting
    .then(
      (stack) => stack.close(),
      () => {},
    )
    .finally(() => process.exit(exitCode));
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`[bench] ${signal}: removing what the bench made`);
    abandon(130);
  });
}
// A crash (an error no scenario caught, e.g. from a connection the server closed) still removes
// everything the bench made before the process ends.
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.once(event, (error) => {
    console.error(`[bench] ${event}:`, error);
    abandon(1);
  });
}
const stack = await starting;

// The warm pool fills in the background from the provisioner's start: measure nothing until it is.
console.log(
  `[bench] warm pool full after ${await sparesReady(stack, spareTarget(settings.concurrent))} ms more`,
);
const context: BenchContext = { stack, settings, tenants: benchTenants(stack) };
const results: Record<string, Record<string, unknown>> = {};
let report: Record<string, unknown>;
try {
  for (const scenario of runOrder(scenarios, settings.only)) {
    if (interrupted) break;
    const at = performance.now();
    console.log(`[bench] ${scenario.name}: ${scenario.title}`);
    try {
      // Each scenario starts from a quiet stack whatever ran before it (and each of its measured
      // loads waits again: see measureLoad); the state it found is kept with its figures.
      const quietBefore = await untilQuiet(stack, settings);
      results[scenario.name] = { quietBefore, ...(await scenario.run(context)) };
    } catch (error) {
      // One failed scenario still leaves the others' figures; the report says what failed.
      console.error(`[bench] ${scenario.name} failed:`, error);
      results[scenario.name] = { error: String(error) };
    }
    console.log(`[bench] ${scenario.name} done in ${round((performance.now() - at) / 1000, 1)} s`);
  }
  report = {
    date: new Date().toISOString(),
    command: `pnpm bench${full ? "" : ` --only ${settings.only.join(",")}`}`,
    ...(await environment(stack)),
    placement: {
      "gateway, workspace, billing, provisioner, the ceiling server, nginx, the pnpm oryn CLI and the bench's PostgreSQL":
        settings.serverCpus ? `taskset -c ${settings.serverCpus}` : "not pinned",
      "load generator (bench/load-generator.ts, autocannon, its own process)": settings.loadCpus
        ? `taskset -c ${settings.loadCpus}`
        : "not pinned",
      "the bench's driver (setup, samplers)": "not pinned",
      Redis: "the machine's service, not pinned (shared with other work on the machine)",
    },
    settings,
  };
} finally {
  await stack.close();
}
// Interrupted: the signal handler exits once the stack is closed; no figures from a cut run.
if (interrupted) await new Promise(() => {});
const wallSeconds = round((performance.now() - started) / 1000, 1);
const targets = targetRows(results);
const extra = extraFigures(results);
const full_report = { ...report, wallSeconds, targets, extraFigures: extra, results };
const file = writeResultsFile(full_report, settings, full);
console.log(`\n${targetsMarkdown(targets)}\n\n${extraFiguresMarkdown(extra)}\n`);
console.log(`[bench] written to ${file} (whole run ${wallSeconds} s)`);
if (full) {
  const markdown = join(import.meta.dirname, "..", "docs", "benchmarks.md");
  // The hand-written accounts of missed targets survive the regeneration (benchmarks-md.ts).
  const previous = existsSync(markdown) ? readFileSync(markdown, "utf8") : "";
  writeFileSync(
    markdown,
    benchmarksMarkdown(full_report as Parameters<typeof benchmarksMarkdown>[0], previous),
  );
  console.log(`[bench] ${markdown} regenerated`);
}
