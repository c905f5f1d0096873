/**
 * The load generator, run as its own process (bench/lib/load.ts starts it, pinned to its own
 * core): reads a LoadSpec as JSON on stdin, runs autocannon against it, and prints one LoadResult
 * as JSON on stdout. Each request picks its target (path and token) itself, in turn or by a Zipf
 * law over the targets' ranks, which is why this is a script around autocannon's API and not its
 * command line.
 */
import { text } from "node:stream/consumers";
import autocannon from "autocannon";
import type { LoadResult, LoadSpec } from "./lib/load.ts";
import { zipfPicker } from "./lib/zipf.ts";

const spec = JSON.parse(await text(process.stdin)) as LoadSpec;
const pick = picker(spec);

const started = performance.now();
const cpuBefore = process.cpuUsage();
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.seconds,
  ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  requests: [
    {
      method: spec.method ?? "GET",
      ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
      setupRequest: (request) => {
        const target = spec.targets[pick()] ?? spec.targets[0];
        return {
          ...request,
          path: target?.path ?? "/",
          headers: {
            ...(target?.token ? { authorization: `Bearer ${target.token}` } : {}),
            ...(spec.body === undefined ? {} : { "content-type": "application/json" }),
          },
        };
      },
    },
  ],
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);

const statuses: Record<string, number> = {};
for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) {
  statuses[status] = count ?? 0;
}
const answers = result.requests.total;
const ok = result["2xx"];
const answer: LoadResult = {
  connections: spec.connections,
  seconds: spec.seconds,
  elapsedSeconds: Math.round(seconds * 100) / 100,
  answers,
  // Successful answers are the throughput; everything else is counted, never added to it.
  okPerSecond: Math.round(ok / seconds),
  answersPerSecond: Math.round(answers / seconds),
  ok,
  non2xx: result.non2xx,
  statuses,
  errors: result.errors,
  timeouts: result.timeouts,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  latencyMs: {
    p50: result.latency.p50,
    p97_5: result.latency.p97_5,
    p99: result.latency.p99,
    max: result.latency.max,
  },
};
process.stdout.write(JSON.stringify(answer));

/** Index of the next target: in turn, or Zipf(s) over ranks (target 0 is rank 1). */
function picker(spec: LoadSpec): () => number {
  const count = spec.targets.length;
  if (spec.pick !== "zipf") {
    let turn = 0;
    return () => turn++ % count;
  }
  return zipfPicker(count, spec.zipfS ?? 1);
}
