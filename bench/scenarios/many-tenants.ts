import { connect, tenantDatabaseName } from "@oryn/shared";
import { sampleWorkspaceSessions } from "@oryn/testing/session-sampler";
import type { LoadResult } from "../lib/load.ts";
import { type BenchContext, measureLoad, type Scenario } from "../lib/scenario.ts";
import { round } from "../lib/stats.ts";
import { perfectCacheBound } from "../lib/targets.ts";

/**
 * 7. Many tenants: BENCH_TENANTS active tenants, each with its own database, with Zipf-distributed
 * traffic (s = 1.0 over their ranks) through the gateway, against one tenant taking all of it;
 * workspace's connection budget is BENCH_CONNECTION_BUDGET. PostgreSQL's own count of workspace's
 * sessions in these databases is sampled throughout.
 */
export const manyTenants: Scenario = {
  name: "many-tenants",
  title: "Zipf traffic over many tenants vs one tenant, through the gateway",
  async run(context) {
    const all = await context.tenants(context.settings.tenants);
    const targets = all.map((tenant) => ({ path: tenant.projectPath, token: tenant.token }));
    const zipf = await sampled(
      context,
      all.map((tenant) => tenant.id),
      (atStart) => measureLoad(context, context.stack.oryn.gatewayUrl, targets, "zipf", atStart),
    );
    const single = await sampled(
      context,
      all.map((tenant) => tenant.id),
      (atStart) =>
        measureLoad(context, context.stack.oryn.gatewayUrl, targets.slice(0, 1), "turns", atStart),
    );
    const budget = context.settings.connectionBudget;
    const most = Math.max(zipf.connections.most, single.connections.most);
    return {
      tenants: all.length,
      zipfS: 1,
      connectionBudget: budget,
      // What a perfect cache of `budget` tenants would open: the target's yardstick (targets.ts).
      perfectCacheBound: round(perfectCacheBound(budget, all.length), 4),
      mostConnections: most,
      withinBudget: most <= budget,
      zipf,
      single,
    };
  },
};

/**
 * Runs `measure` while counting workspace's sessions in the tenants' databases every 20 ms
 * (warm-up included), and counts the sessions opened in them during the measured run, from the
 * `atStart` hook `measure` calls after its warm-up (PostgreSQL's own pg_stat_database.sessions):
 * each is a tenant whose pool was closed paying for a new connection, the cost the budget imposes.
 */
export async function sampled(
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
