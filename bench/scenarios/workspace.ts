import { measureLoad, type Scenario } from "../lib/scenario.ts";

/** 2. GET /v1/projects/{id} straight to workspace, with a valid token (verified there). */
export const workspaceDirect: Scenario = {
  name: "workspace",
  title: "GET /v1/projects/{id} straight to workspace",
  async run(context) {
    const [tenant] = await context.tenants(1);
    if (!tenant) throw new Error("no tenant");
    const load = await measureLoad(context, context.stack.oryn.services.workspace.url, [
      { path: tenant.projectPath, token: tenant.token },
    ]);
    return { path: "GET /v1/projects/{id}", load };
  },
};
