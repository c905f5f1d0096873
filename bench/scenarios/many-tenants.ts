import { connect, tenantDatabaseName } from "@oryn/shared";
import { sampleWorkspaceSessions } from "../../test/harness/session-sampler.ts";
import type { LoadResult } from "../lib/load.ts";
import { type BenchContext, measureLoad, type Scenario } from "../lib/scenario.ts";

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
      () => measureLoad(context, context.stack.oryn.gatewayUrl, targets, "zipf"),
    );
    const single = await sampled(
      context,
      all.map((tenant) => tenant.id),
      () => measureLoad(context, context.stack.oryn.gatewayUrl, targets.slice(0, 1)),
    );
    const budget = context.settings.connectionBudget;
    const most = Math.max(zipf.connections.most, single.connections.most);
    return {
      tenants: all.length,
      zipfS: 1,
      connectionBudget: budget,
      mostConnections: most,
      withinBudget: most <= budget,
      zipf,
      single,
    };
  },
};

/** Runs `measure` while counting workspace's sessions in the tenants' databases every 20 ms. */
async function sampled(
  { stack }: BenchContext,
  tenantIds: string[],
  measure: () => Promise<LoadResult>,
): Promise<{ load: LoadResult; connections: { most: number; samples: number } }> {
  const databases = tenantIds.map(tenantDatabaseName);
  const sampler = connect(stack.postgres.url, { max: 1, applicationName: "oryn-bench-sampler" });
  const sessions = sampleWorkspaceSessions(sampler, databases, 20);
  try {
    const load = await measure();
    return { load, connections: await sessions.stop() };
  } finally {
    await sessions.stop();
    await sampler.end();
  }
}
