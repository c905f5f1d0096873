import { connect } from "@oryn/shared";
import { serviceEnv } from "./context.ts";
import { isolatedRun } from "./isolated-run.ts";
import { startThrowawayPostgres } from "./postgres-server.ts";

/**
 * A control plane of the file's own (`isolatedRun(label)`, its Redis prefix too) whose tenant
 * databases go to a PostgreSQL server of its own as well, so that what a test counts there
 * (databases, roles, orphans) is its own doing: the two, a connection to each (`cp` to the control
 * plane, `admin` to the server), the services' environment pointing there with `env` over it,
 * and `close`, which ends the connections and removes both.
 */
export async function ownTenantServer(label: string, env: Record<string, string> = {}) {
  const [server, run] = await Promise.all([startThrowawayPostgres({ label }), isolatedRun(label)]);
  const cp = connect(run.controlPlaneUrl, { max: 2 });
  const admin = connect(server.url, { max: 2 });
  return {
    server,
    run,
    cp,
    admin,
    env: {
      ...serviceEnv(run),
      TENANT_DATABASE_URL: server.url,
      TENANT_DATABASE_SERVER: `postgres://127.0.0.1:${server.port}`,
      ...env,
    },
    async close() {
      await Promise.all([cp.end(), admin.end()]);
      await server.remove();
      await run.drop();
    },
  };
}
