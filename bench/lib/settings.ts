/**
 * What one `pnpm bench` run does, from its arguments and environment: which scenarios, at what
 * sizes, on which cores. Every setting is written into the results, so a figure always comes with
 * the conditions it was measured under.
 */
export const scenarioNames = [
  "ceiling",
  "workspace",
  "database-floor",
  "gateway",
  "nginx",
  "proxy-floor",
  "rejected",
  "provisioning",
  "many-tenants",
  "many-tenants-fit",
  "replicas",
  "webhooks",
  "fleet",
] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export type Settings = {
  only: ScenarioName[];
  /** Tenants of the many-tenant, replicas and fleet scenarios. */
  tenants: number;
  /** Signups at once in the provisioning scenario. */
  concurrent: number;
  /** Length of each measured load run, and of the unrecorded warm-up before it. */
  seconds: number;
  warmupSeconds: number;
  /**
   * The warm-up of a Zipf run instead: its targets are steady-state figures (sessions per answer
   * against a perfect cache), and in a 2 s warm-up each of the busiest tenants' first visit still
   * lands in the measured run, which alone puts even a perfect policy near 1.1 of the bound.
   */
  zipfWarmupSeconds: number;
  connections: number;
  /** Workspace's TENANT_CONNECTIONS_MAX (each replica's, in the replicas scenario). */
  connectionBudget: number;
  /** Template clones (and create-and-migrate builds) timed. */
  clones: number;
  /**
   * The longest wait for a quiet stack before a scenario or a measured load (quiet.ts); past it
   * the run is measured anyway and marked not quiet. Long enough for a warm pool of 200 to refill.
   */
  quietSeconds: number;
  /** How often each waiting signup asks whether its tenant is active. */
  pollMs: number;
  /**
   * Requests per second the load generator sends in all (autocannon's overallRate), or unlimited.
   * At a fixed rate two runs serve the same answers per second, so their CPU per answer compares
   * even when the machine's other work changes how many answers an unlimited run gets.
   */
  rate: number | undefined;
  /** `taskset -c` lists: our processes and PostgreSQL, and the load generator. */
  serverCpus: string | undefined;
  loadCpus: string | undefined;
};

export function readSettings(argv: string[], env: NodeJS.ProcessEnv): Settings {
  const onlyArgument = argv.indexOf("--only");
  const onlyList =
    onlyArgument >= 0
      ? argv[onlyArgument + 1]
      : argv.find((a) => a.startsWith("--only="))?.slice(7);
  const wanted = (onlyList ?? env.BENCH_ONLY ?? "").split(",").filter(Boolean);
  for (const name of wanted) {
    if (!(scenarioNames as readonly string[]).includes(name)) {
      throw new Error(`unknown scenario ${name}: one of ${scenarioNames.join(", ")}`);
    }
  }
  // Unpinned by default, on purpose. With two cores, pinning our processes to one and the load
  // generator to the other puts every hop of a request (gateway, workspace, PostgreSQL) on one
  // core, where each hop becomes a context switch: on this machine that cut the gateway path from
  // 1,608 to 328 requests/s and the nginx path from 3,246 to 1,005, while the bare ceiling barely
  // moved (29,038 vs 23,883), so the pinned figures measured the scheduler, not the code. Both
  // remain settable (BENCH_SERVER_CPUS, BENCH_LOAD_CPUS).
  return {
    only: wanted.length > 0 ? (wanted as ScenarioName[]) : [...scenarioNames],
    tenants: count(env, "BENCH_TENANTS", 1000),
    concurrent: count(env, "BENCH_CONCURRENT", 200),
    seconds: count(env, "BENCH_SECONDS", 10),
    // 10 s, not 2: after 2 s V8 was still compiling the services' hot code in the measured
    // run (its compiler and GC threads 19 % of workspace's CPU, against 7 % after 10 s), which
    // nginx and the bare endpoint, with nothing to compile, did not pay; alternating pairs at
    // 500 answers/s gave workspace 228 against 297 µs per answer and nginx 50 against 54
    // (docs/benchmarks.md, the workspace-cpu account).
    warmupSeconds: count(env, "BENCH_WARMUP_SECONDS", 10),
    zipfWarmupSeconds: count(env, "BENCH_ZIPF_WARMUP_SECONDS", 15),
    connections: count(env, "BENCH_CONNECTIONS", 50),
    connectionBudget: count(env, "BENCH_CONNECTION_BUDGET", 100),
    clones: count(env, "BENCH_CLONES", 10),
    pollMs: count(env, "BENCH_POLL_MS", 100),
    quietSeconds: count(env, "BENCH_QUIET_SECONDS", 120),
    rate: env.BENCH_RATE ? count(env, "BENCH_RATE", 1) : undefined,
    serverCpus: cpuList(env, "BENCH_SERVER_CPUS", undefined),
    loadCpus: cpuList(env, "BENCH_LOAD_CPUS", undefined),
  };
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** A CPU list as taskset takes it; "none" for no pinning. Checked: it reaches a shell command. */
function cpuList(env: NodeJS.ProcessEnv, name: string, fallback: string | undefined) {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "none") return undefined;
  if (!/^\d+([-,]\d+)*$/.test(raw)) throw new Error(`${name} must be a CPU list such as 0 or 0-1`);
  return raw;
}
