import { startOwnService } from "../lib/own-services.ts";
import { measureLoad, type Scenario } from "../lib/scenario.ts";

/**
 * 5. Rejected traffic: one tenant far over its plan's limit, hammering a gateway that applies the
 * plans' rates (the stack's own gateway has them lifted for the other scenarios). Its tenant is
 * not the allowed scenarios' one, so their counts do not mix.
 */
export const rejectedTraffic: Scenario = {
  name: "rejected",
  title: "a tenant far over its plan's limit (429) through a gateway with the plans' limits",
  async run(context) {
    const { stack } = context;
    const [, tenant] = await context.tenants(2);
    if (!tenant) throw new Error("no tenant");
    const gateway = await startOwnService(stack, "gateway", {
      // Empty is unset: each tenant gets its plan's rates.
      RATE_LIMIT_TENANT_PER_MINUTE: "",
      RATE_LIMIT_TENANT_PER_SECOND: "",
    });
    const load = await measureLoad(context, gateway.url, [
      { path: tenant.projectPath, token: tenant.token },
    ]);
    await gateway.stop();
    return {
      path: "GET /v1/projects/{id}",
      plan: "free (20 requests/s burst, 300/min)",
      rejectedPerSecond: Math.round((load.statuses["429"] ?? 0) / load.elapsedSeconds),
      load,
    };
  },
};
