import { startNginx } from "../lib/nginx.ts";
import { measureLoad, type Scenario } from "../lib/scenario.ts";

/** 4. The peer: the same request through nginx as a plain reverse proxy in front of workspace. */
export const throughNginx: Scenario = {
  name: "nginx",
  title: "GET /v1/projects/{id} through nginx in front of workspace",
  async run(context) {
    const [tenant] = await context.tenants(1);
    if (!tenant) throw new Error("no tenant");
    const nginx = await startNginx(context.stack.oryn.services.workspace.url, {
      cpus: context.settings.serverCpus,
    });
    context.stack.defer(() => nginx.stop());
    const load = await measureLoad(context, nginx.url, [
      { path: tenant.projectPath, token: tenant.token },
    ]);
    await nginx.stop();
    return {
      path: "GET /v1/projects/{id}",
      nginxVersion: nginx.version,
      config: nginx.config,
      load,
    };
  },
};
