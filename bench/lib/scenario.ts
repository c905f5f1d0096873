import { loadavg } from "node:os";
import type { BenchStack } from "./bench-stack.ts";
import type { BenchTenant } from "./bench-tenants.ts";
import { cpuPerAnswer, cpuSnapshot, otherProcesses, readProcesses } from "./cpu-time.ts";
import { type LoadResult, type LoadSpec, runLoad } from "./load.ts";
import { untilQuiet } from "./quiet.ts";
import type { ScenarioName, Settings } from "./settings.ts";
import { isLoadGenerator, stackProcessGroups } from "./stack-processes.ts";
import { round } from "./stats.ts";

/** What every scenario is handed: the running stack, the settings, and the shared tenants. */
export type BenchContext = {
  stack: BenchStack;
  settings: Settings;
  tenants(count: number): Promise<BenchTenant[]>;
};

/** One scenario: measures, and returns what it measured (plain JSON). */
export type Scenario = {
  name: ScenarioName;
  title: string;
  run(context: BenchContext): Promise<Record<string, unknown>>;
};

/**
 * From a quiet stack (quiet.ts), an unrecorded warm-up (JIT, pools, keep-alive connections), then
 * the measured run, both from the separate load-generator process on the load cores, with the CPU
 * each process group used during the measured run, per answer, and what else ran meanwhile.
 */
export async function measureLoad(
  { settings, stack }: BenchContext,
  url: string,
  targets: { path: string; token?: string }[],
  pick: "turns" | "zipf" = "turns",
  /** Runs after the warm-up, just before the measured run (to read counters at its start). */
  beforeMeasuredRun?: () => Promise<void>,
  request: Pick<LoadSpec, "method" | "body"> = {},
): Promise<LoadResult> {
  const spec = {
    url,
    connections: settings.connections,
    targets,
    pick,
    zipfS: 1,
    overallRate: settings.rate,
    ...request,
  };
  const placement = { cpus: settings.loadCpus };
  const quietBefore = await untilQuiet(stack, settings);
  const warmup = pick === "zipf" ? settings.zipfWarmupSeconds : settings.warmupSeconds;
  await runLoad({ ...spec, seconds: warmup }, placement);
  await beforeMeasuredRun?.();
  const groups = stackProcessGroups(stack);
  const before = readProcesses();
  const startedAt = performance.now();
  const load = await runLoad({ ...spec, seconds: settings.seconds }, placement);
  const after = readProcesses();
  const seconds = (performance.now() - startedAt) / 1000;
  const perAnswer = cpuPerAnswer(
    cpuSnapshot(groups, before),
    cpuSnapshot(groups, after),
    load.answers,
  );
  if (load.answers > 0) {
    perAnswer["load generator"] = Math.round((load.cpuSeconds * 1e6) / load.answers);
  }
  return {
    ...load,
    cpuPerAnswer: perAnswer,
    quietBefore,
    alsoRan: {
      ...otherProcesses(before, after, seconds, groups, isLoadGenerator),
      loadAverageAtEnd: round(loadavg()[0] ?? 0, 2),
    },
  };
}
