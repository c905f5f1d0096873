import type { BenchStack } from "./bench-stack.ts";
import type { BenchTenant } from "./bench-tenants.ts";
import { type LoadResult, runLoad } from "./load.ts";
import type { ScenarioName, Settings } from "./settings.ts";

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
 * An unrecorded warm-up (JIT, pools, keep-alive connections), then the measured run, both from
 * the separate load-generator process on the load cores.
 */
export async function measureLoad(
  { settings }: BenchContext,
  url: string,
  targets: { path: string; token?: string }[],
  pick: "turns" | "zipf" = "turns",
): Promise<LoadResult> {
  const spec = { url, connections: settings.connections, targets, pick, zipfS: 1 };
  const placement = { cpus: settings.loadCpus };
  await runLoad({ ...spec, seconds: settings.warmupSeconds }, placement);
  return runLoad({ ...spec, seconds: settings.seconds }, placement);
}
