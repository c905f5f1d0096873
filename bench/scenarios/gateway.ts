import { measureLoad, type Scenario } from "../lib/scenario.ts";

/** 3. The same request through the gateway: token check, rate limit (allowing), proxy. */
export const throughGateway: Scenario = {
  name: "gateway",
  title: "GET /v1/projects/{id} through the gateway",
  async run(context) {
    const [tenant] = await context.tenants(1);
    if (!tenant) throw new Error("no tenant");
    const load = await measureLoad(context, context.stack.oryn.gatewayUrl, [
      { path: tenant.projectPath, token: tenant.token },
    ]);
    return { path: "GET /v1/projects/{id}", load };
  },
};
