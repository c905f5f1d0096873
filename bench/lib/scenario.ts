import { join } from "node:path";
import type { BenchStack } from "./bench-stack.ts";
import type { BenchTenant } from "./bench-tenants.ts";
import { cpuPerAnswer, cpuSnapshot, type ProcessGroups } from "./cpu-time.ts";
import { type LoadResult, type LoadSpec, runLoad } from "./load.ts";
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
 * the separate load-generator process on the load cores, with the CPU each process group used
 * during the measured run, per answer.
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
  await runLoad({ ...spec, seconds: settings.warmupSeconds }, placement);
  await beforeMeasuredRun?.();
  const groups = processGroups(stack);
  const before = cpuSnapshot(groups);
  const load = await runLoad({ ...spec, seconds: settings.seconds }, placement);
  const perAnswer = cpuPerAnswer(before, cpuSnapshot(groups), load.answers);
  if (load.answers > 0) {
    perAnswer["load generator"] = Math.round((load.cpuSeconds * 1e6) / load.answers);
  }
  return { ...load, cpuPerAnswer: perAnswer };
}

const repositoryRoot = join(import.meta.dirname, "..", "..");

/**
 * The processes whose CPU a load run accounts for. The load generator is not here: it has exited
 * by the second snapshot, and reports its own CPU instead. Redis is the machine's service, so its
 * figure includes anything else using it at the time.
 */
function processGroups(stack: BenchStack): ProcessGroups {
  // This checkout's own services only, by their full path: other checkouts' stacks on the same
  // machine (other people's tests and benches) run the same entry points, and counting them
  // made a run's figures wrong by whatever they did meanwhile (or dropped a group altogether
  // when one of theirs exited between the two snapshots).
  const service = (name: string) => (command: string) =>
    command.includes(join(repositoryRoot, "services", name, "src", "main.ts"));
  return {
    gateway: service("gateway"),
    workspace: service("workspace"),
    billing: service("billing"),
    provisioner: service("provisioner"),
    webhooks: service("webhooks"),
    postgres: (command) =>
      command.includes("/bin/postgres ") && command.includes(`-p ${stack.postgres.port} `),
    redis: (command) => command.startsWith("redis-server"),
    nginx: (command) => command.startsWith("nginx: master process"),
    ceiling: (command) => command.includes(join(repositoryRoot, "bench", "ceiling-server.ts")),
    "proxy floor": (command) => command.includes(join(repositoryRoot, "bench", "floor-proxy.ts")),
  };
}
