import { connect, tenantDatabaseName } from "@oryn/shared";
import { sampleWorkspaceSessions } from "@oryn/testing/session-sampler";
import type { LoadResult } from "./load.ts";
import type { BenchContext } from "./scenario.ts";

/**
 * Runs `measure` while counting workspace's sessions in the tenants' databases every 20 ms
 * (warm-up included), and counts the sessions opened in them during the measured run, from the
 * `atStart` hook `measure` calls after its warm-up (PostgreSQL's own pg_stat_database.sessions):
 * each is a tenant whose pool was closed paying for a new connection, the cost the budget imposes.
 */
export async function withSessionCounts(
  { stack }: BenchContext,
  tenantIds: string[],
  measure: (atStart: () => Promise<void>) => Promise<LoadResult>,
): Promise<{
  load: LoadResult;
  connections: { most: number; samples: number; opened: number; openedPerAnswer: number };
}> {
  const databases = tenantIds.map(tenantDatabaseName);
  const sampler = connect(stack.postgres.url, { max: 1, applicationName: "oryn-bench-sampler" });
  const sessionsOpened = async () => {
    // Backends report their counters to the statistics a moment after the fact.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [row] = await sampler<{ opened: number }[]>`
      select coalesce(sum(sessions), 0)::int as opened from pg_stat_database
      where datname = any(${databases})`;
    return row?.opened ?? 0;
  };
  let openedBefore = 0;
  const sessions = sampleWorkspaceSessions(sampler, databases, 20);
  try {
    const load = await measure(async () => {
      openedBefore = await sessionsOpened();
    });
    const seen = await sessions.stop();
    const opened = (await sessionsOpened()) - openedBefore;
    const openedPerAnswer =
      load.answers > 0 ? Math.round((opened / load.answers) * 1000) / 1000 : 0;
    return { load, connections: { ...seen, opened, openedPerAnswer } };
  } finally {
    await sessions.stop();
    await sampler.end();
  }
}
