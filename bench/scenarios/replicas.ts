import type { RunningService } from "@oryn/testing/processes";
import { startOwnService } from "../lib/own-services.ts";
import { measureLoad, type Scenario } from "../lib/scenario.ts";
import { round } from "../lib/stats.ts";
import { withSessionCounts } from "../lib/tenant-sessions.ts";
import { perfectCacheBound } from "../lib/zipf-bound.ts";

/**
 * Workspace replicas: the many-tenants traffic (BENCH_TENANTS tenants, Zipf s = 1) through a
 * gateway that sends each tenant to one of two fresh workspace replicas (WORKSPACE_URL lists
 * both; rendezvous hashing of the tenant), each with the budget BENCH_CONNECTION_BUDGET. The
 * figure is the new PostgreSQL sessions per answer against the perfect-cache bound of the two
 * budgets together: with tenant affinity each replica caches only its half of the tenants, so
 * the pair should come close to one cache of twice the budget.
 */
export const replicas: Scenario = {
  name: "replicas",
  title: "Zipf traffic over many tenants through the gateway to two workspace replicas",
  async run(context) {
    const { stack, settings } = context;
    const all = await context.tenants(settings.tenants);
    const started: RunningService[] = [];
    const start = async (...args: Parameters<typeof startOwnService>) => {
      const service = await startOwnService(...args);
      started.push(service);
      return service;
    };
    try {
      // Fresh replicas, so what earlier scenarios left in the stack's workspace pools is not
      // counted here; the stack's workspace environment carries the budget.
      const workspaces = await Promise.all([0, 1].map(() => start(stack, "workspace")));
      const gateway = await start(stack, "gateway", {
        WORKSPACE_URL: workspaces.map((workspace) => workspace.url).join(","),
      });
      const targets = all.map((tenant) => ({ path: tenant.projectPath, token: tenant.token }));
      const zipf = await withSessionCounts(
        context,
        all.map((tenant) => tenant.id),
        (atStart) => measureLoad(context, gateway.url, targets, "zipf", atStart),
      );
      // zipf.connections.most also counts the stack's own workspace, whose pools for the tenants
      // it just gave projects to stay open until idle: read the replicas' poolsOpen instead.
      const budget = settings.connectionBudget;
      const bound = round(perfectCacheBound(2 * budget, all.length), 3);
      const newSessionsPerAnswer = zipf.connections.openedPerAnswer;
      return {
        tenants: all.length,
        zipfS: 1,
        replicas: workspaces.length,
        connectionBudgetPerReplica: budget,
        newSessionsPerAnswer,
        bound,
        ratioToBound: bound > 0 ? round(newSessionsPerAnswer / bound, 2) : null,
        // Each replica's share of the pools at the end: about half each.
        poolsOpen: await Promise.all(workspaces.map((workspace) => poolsOpen(workspace))),
        zipf,
      };
    } finally {
      await Promise.all(started.map((service) => service.stop()));
    }
  },
};

async function poolsOpen(workspace: RunningService): Promise<number> {
  const text = await (await fetch(`${workspace.url}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith("tenant_pools_open{"));
  return Number(line?.split(" ").at(-1) ?? Number.NaN);
}
