import type { RunningService } from "@oryn/testing/processes";
import { startOwnService } from "../lib/own-services.ts";
import type { Scenario } from "../lib/scenario.ts";
import { measureLoad } from "../lib/scenario.ts";
import { withSessionCounts } from "../lib/tenant-sessions.ts";

/**
 * 7b. Many tenants with a budget that fits them all: the many-tenants scenario's traffic (Zipf
 * s = 1 over BENCH_TENANTS tenants, against one tenant taking all of it) through a gateway of its
 * own in front of a workspace of its own, started with a connection budget of every tenant's
 * pool full (`fitBudget`), room for a pool per tenant, and pools that outlive the run; a warm-up
 * pass asks for every tenant's project once before anything is measured. No pool is ever closed
 * to make room, so what is left between Zipf and one tenant is the per-tenant cost of the
 * gateway and workspace themselves (caches, rate-limit keys, pool lookups), not the budget.
 */
export const manyTenantsFit: Scenario = {
  name: "many-tenants-fit",
  title: "Zipf traffic over many tenants vs one tenant, with a budget that fits them all",
  async run(context) {
    const { stack, settings } = context;
    const all = await context.tenants(settings.tenants);
    const budget = fitBudget(all.length);
    const started: RunningService[] = [];
    const stop = () => Promise.all(started.splice(0).map((service) => service.stop()));
    try {
      const workspace = await startOwnService(stack, "workspace", {
        TENANT_POOL_MAX: String(poolMax),
        TENANT_CONNECTIONS_MAX: String(budget),
        TENANT_POOLS_MAX: String(all.length),
        // Longer than the whole scenario: a pool the warm-up opened is there when measured.
        TENANT_POOL_IDLE_MS: String(3_600_000),
      });
      started.push(workspace);
      const gateway = await startOwnService(stack, "gateway", { WORKSPACE_URL: workspace.url });
      started.push(gateway);
      await warmUp(
        gateway.url,
        all.map((tenant) => ({ path: tenant.projectPath, token: tenant.token })),
      );
      const targets = all.map((tenant) => ({ path: tenant.projectPath, token: tenant.token }));
      const ids = all.map((tenant) => tenant.id);
      const zipf = await withSessionCounts(context, ids, (atStart) =>
        measureLoad(context, gateway.url, targets, "zipf", atStart),
      );
      const single = await withSessionCounts(context, ids, (atStart) =>
        measureLoad(context, gateway.url, targets.slice(0, 1), "turns", atStart),
      );
      return {
        tenants: all.length,
        zipfS: 1,
        connectionBudget: budget,
        mostConnections: Math.max(zipf.connections.most, single.connections.most),
        zipf,
        single,
      };
    } finally {
      await stop();
    }
  },
};

/** Every tenant's project once, a few at a time: each tenant's pool open, its caches filled. */
async function warmUp(url: string, targets: { path: string; token: string }[]) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let target = targets[next++]; target !== undefined; target = targets[next++]) {
        const answer = await fetch(`${url}${target.path}`, {
          headers: { authorization: `Bearer ${target.token}` },
        });
        await answer.arrayBuffer();
        if (answer.status !== 200) throw new Error(`warm-up answered ${answer.status}`);
      }
    }),
  );
}

/** Workspace's default TENANT_POOL_MAX, set explicitly so the budget below follows it. */
const poolMax = 5;

/**
 * A budget under which no connection is ever reclaimed for another tenant: every tenant at its
 * cap at once. Connections close one by one only after TENANT_POOL_IDLE_MS idle, so within a run
 * a tenant keeps the most it had in flight at once; tenants plus load connections was not enough
 * under the former whole-pool policy (a short run reached it and closed pools to make room), and
 * the cap keeps the figure about the policy's steady state, not the budget. PostgreSQL's
 * max_connections must hold it (suite.ts).
 */
export function fitBudget(tenants: number): number {
  return tenants * poolMax;
}
