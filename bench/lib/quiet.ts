import { loadavg } from "node:os";
import { closeRedis, connectRedisForWorker, createQueues, queueNames } from "@oryn/shared";
import type { BenchStack } from "./bench-stack.ts";
import { cpuSnapshot } from "./cpu-time.ts";
import type { Settings } from "./settings.ts";
import { spareTarget } from "./spares.ts";
import { stackProcessGroups } from "./stack-processes.ts";
import { round } from "./stats.ts";

/**
 * A quiet stack before every measured run (issue 17, "a fair bench"): measured right after the
 * provisioning scenario, the many-tenants one once came out at 0.06 of one tenant because the
 * warm pool was refilling the spares the signups had used. So before each scenario and each
 * measured load, wait until the background work has settled: the warm pool full, no BullMQ job
 * waiting or running, no tenant marked for the event outbox sweep, and the bench's PostgreSQL
 * idle. The state found is recorded with the run.
 *
 * The marks: the many-tenant scenarios give each of their tenants a project (a write, so a mark),
 * and workspace's sweep then visits every marked tenant each period until its mark is old and its
 * outbox empty (about three visits each). Each visit of a tenant without a connection is a new
 * PostgreSQL session, so a measured run within ~90 s of the set-up counted about 100 sessions
 * that no request of it caused (103 in a one-tenant run at 40 answers/s, 2026-12-06).
 */
export type QuietState = {
  /** All three held when the wait ended (false: gave up after BENCH_QUIET_SECONDS, measured anyway). */
  quiet: boolean;
  waitedMs: number;
  spares: { ready: number; target: number };
  /**
   * Jobs waiting, prioritized or active, and delayed ones (not waited for: due later), in the
   * queues some process of the stack works on.
   */
  jobs: { pending: number; delayed: number };
  /** Tenants marked for workspace's event outbox sweep (see above). */
  outboxMarks: number;
  /** CPU of the bench's PostgreSQL (postmaster and backends) over the last second, in cores. */
  postgresCores: number;
  /** The machine's 1-minute load average when the wait ended. */
  loadAverage: number;
};

/**
 * PostgreSQL counts as idle below this many cores over a second: what is left is its own
 * background processes and the services' periodic reads (about 0.06 cores with a few dozen
 * databases). With the ~1,400 databases of a full run it never got this low: 0.2-1.3 cores before
 * every later scenario on 2026-12-06 (autovacuum's launcher visits each database once a minute),
 * so those runs waited BENCH_QUIET_SECONDS and were marked not quiet. The bench's server now
 * runs with the autovacuum naptime docs/operations.md advises for so many databases (0.05 cores
 * idle with 1,000 of them, against 0.31-0.34 at the default).
 */
const postgresIdleCores = 0.1;

export async function untilQuiet(
  stack: BenchStack,
  { concurrent, quietSeconds }: Pick<Settings, "concurrent" | "quietSeconds">,
): Promise<QuietState> {
  const started = performance.now();
  const target = spareTarget(concurrent);
  const redis = connectRedisForWorker(stack.redisUrl);
  const queues = createQueues(redis, stack.redisPrefix);
  const postgres = { postgres: stackProcessGroups(stack).postgres ?? (() => false) };
  try {
    for (;;) {
      const [row] = await stack.controlPlane<{ ready: number }[]>`
        select count(*)::int as ready from spare_databases
        where state = 'ready' and tenant_id is null`;
      const ready = row?.ready ?? 0;
      const [marks] = await stack.controlPlane<{ count: number }[]>`
        select count(*)::int as count from event_outbox_marks`;
      const outboxMarks = marks?.count ?? 0;
      const jobs = { pending: 0, delayed: 0 };
      for (const name of queueNames) {
        const queue = queues.get(name);
        // A queue nothing in the stack consumes (mail: the bench runs no mailer) holds its jobs
        // for ever, and they cost nothing: only queues with a worker are waited for.
        if ((await queue.getWorkersCount()) === 0) continue;
        const counts = await queue.getJobCounts(
          "waiting",
          "prioritized",
          "active",
          "delayed",
          "waiting-children",
        );
        jobs.delayed += counts.delayed ?? 0;
        jobs.pending += Object.entries(counts)
          .filter(([state]) => state !== "delayed")
          .reduce((sum, [, count]) => sum + count, 0);
      }
      const before = cpuSnapshot(postgres).get("postgres") ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const postgresCores = round((cpuSnapshot(postgres).get("postgres") ?? 0) - before, 2);
      const quiet =
        ready >= target &&
        jobs.pending === 0 &&
        outboxMarks === 0 &&
        postgresCores < postgresIdleCores;
      const waitedMs = Math.round(performance.now() - started);
      if (quiet || waitedMs > quietSeconds * 1000) {
        if (!quiet) {
          console.warn(
            `[bench] not quiet after ${waitedMs} ms (spares ${ready}/${target}, ${jobs.pending} jobs, ${outboxMarks} outbox marks, PostgreSQL ${postgresCores} cores): measuring anyway`,
          );
        }
        return {
          quiet,
          waitedMs,
          spares: { ready, target },
          jobs,
          outboxMarks,
          postgresCores,
          loadAverage: round(loadavg()[0] ?? 0, 2),
        };
      }
    }
  } finally {
    await queues.close();
    await closeRedis(redis);
  }
}
