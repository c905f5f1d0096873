import { connect } from "@oryn/shared";
import { serviceEnv } from "./context.ts";
import { isolatedRun } from "./isolated-run.ts";
import { startThrowawayPostgres } from "./postgres-server.ts";
import { type Oryn, type ServiceName, startOryn } from "./processes.ts";

/**
 * Oryn on two tenant database servers: the machine's (`one`, accepting) and one this starts
 * (`two`), with a control plane, template and queue prefix of the file's own. `close` stops the
 * services, removes the second server whole and the file's tenants from the first.
 */
export async function twoServerStack(
  name: string,
  options: {
    secondState: "accepting" | "draining";
    env?: Record<string, string>;
    overrides?: Partial<Record<ServiceName, Record<string, string>>>;
  },
) {
  const [second, run] = await Promise.all([
    startThrowawayPostgres({ label: name }),
    isolatedRun(name),
  ]);
  const cp = connect(run.controlPlaneUrl, { max: 2 });
  const firstAdmin = connect(run.postgresUrl, { max: 2 });
  const secondAdmin = connect(second.url, { max: 2 });
  let oryn: Oryn | undefined;
  const close = async () => {
    await oryn?.stop();
    await Promise.all([cp.end(), firstAdmin.end(), secondAdmin.end()]);
    await second.remove();
    await run.drop();
  };
  try {
    const first = new URL(run.postgresUrl);
    await cp`
      insert into database_servers (name, host, port, capacity, state) values
        ('one', ${first.hostname}, ${Number(first.port || 5432)}, 100, 'accepting'),
        ('two', '127.0.0.1', ${second.port}, 100, ${options.secondState})`;
    const env = { ...serviceEnv(run), ...options.env };
    oryn = await startOryn(env, options.overrides);
    return { run, env, oryn, cp, firstAdmin, secondAdmin, second, close };
  } catch (error) {
    await close();
    throw error;
  }
}
