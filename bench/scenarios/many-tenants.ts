import { measureLoad, type Scenario } from "../lib/scenario.ts";
import { round } from "../lib/stats.ts";
import { withSessionCounts } from "../lib/tenant-sessions.ts";
import { perfectCacheBound } from "../lib/zipf-bound.ts";

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
    const zipf = await withSessionCounts(
      context,
      all.map((tenant) => tenant.id),
      (atStart) => measureLoad(context, context.stack.oryn.gatewayUrl, targets, "zipf", atStart),
    );
    const single = await withSessionCounts(
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
