import { spawn } from "node:child_process";
import { join } from "node:path";
import { type Placement, placed } from "@oryn/testing/processes";
import type { OtherProcess } from "./cpu-time.ts";
import type { QuietState } from "./quiet.ts";

/** What the load generator is asked to do. */
export type LoadSpec = {
  url: string;
  connections: number;
  seconds: number;
  /** Paths with the token to send them with; one target is a plain single-path run. */
  targets: { path: string; token?: string }[];
  /** In turn (default), or Zipf-distributed over the targets' ranks with exponent `zipfS`. */
  pick?: "turns" | "zipf";
  zipfS?: number;
  /** GET unless told; a JSON `body` goes with every request. */
  method?: "GET" | "POST";
  body?: unknown;
  /** Requests per second in all (BENCH_RATE); unlimited when unset. */
  overallRate?: number | undefined;
};

/** What one run measured. Only 2xx answers count as throughput (`okPerSecond`). */
export type LoadResult = {
  connections: number;
  seconds: number;
  /** How long the run really took: the per-second figures divide by this. */
  elapsedSeconds: number;
  answers: number;
  okPerSecond: number;
  answersPerSecond: number;
  ok: number;
  non2xx: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p97_5: number; p99: number; max: number };
  /** The load generator's own CPU over the run (user and system). */
  cpuSeconds: number;
  /**
   * Microseconds of CPU per answer, by process group (scenario.ts), the load generator included:
   * where the CPU of the two shared cores went. Set by `measureLoad`.
   */
  cpuPerAnswer?: Record<string, number>;
  /** The stack's state when the warm-up began (quiet.ts). Set by `measureLoad`. */
  quietBefore?: QuietState;
  /**
   * What else ran during the measured run: processes in no group of the stack using CPU, in cores
   * (all of them, and the busiest above 0.02 cores). Set by `measureLoad`.
   */
  alsoRan?: { cores: number; busiest: OtherProcess[]; loadAverageAtEnd: number };
};

const script = join(import.meta.dirname, "..", "load-generator.ts");
const running = new Set<ReturnType<typeof spawn>>();

/** Runs bench/load-generator.ts as a separate process, placed on `placement`'s cores. */
export async function runLoad(spec: LoadSpec, placement: Placement): Promise<LoadResult> {
  const { command, args } = placed(process.execPath, [script], placement);
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  running.add(child);
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stdin.end(JSON.stringify(spec));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", resolve);
  });
  running.delete(child);
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(out) as LoadResult;
}

/** Kills load generators still running (an interrupted run). */
export function stopLoads(): void {
  for (const child of running) child.kill("SIGKILL");
}
