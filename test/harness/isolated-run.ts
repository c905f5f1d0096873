import {
  connect,
  controlPlaneMigrations,
  ensureDatabase,
  migrate,
  withDatabase,
} from "@oryn/shared";
import { removeRun } from "./cleanup.ts";
import { type TestRun, testRun } from "./context.ts";

/**
 * A control plane, template and Redis prefix of a test file's own, inside this run. Billing's
 * sweep acts on every tenant and event of its control plane (it makes Stripe customers, re-reads
 * subscriptions), so a billing test that shared the run's control plane with other files would
 * make customers for their tenants at its own fake Stripe, and theirs for its. `drop()` removes
 * all of it, tenant databases included; names start with the run's, so a crashed file's leftovers
 * are recognisable.
 */
export async function isolatedRun(name: string): Promise<TestRun & { drop(): Promise<void> }> {
  const run = testRun();
  const controlPlaneDatabase = `oryn_test_${run.runId}_${name}`;
  const isolated: TestRun = {
    ...run,
    controlPlaneUrl: withDatabase(run.postgresUrl, controlPlaneDatabase),
    templateDatabase: `oryn_tpl_${run.runId}_${name}`,
    redisPrefix: `${run.redisPrefix}-${name}`,
  };
  await ensureDatabase(isolated.controlPlaneUrl);
  const sql = connect(isolated.controlPlaneUrl, { max: 1 });
  try {
    await migrate(sql, controlPlaneMigrations);
  } finally {
    await sql.end();
  }
  return {
    ...isolated,
    drop: () =>
      removeRun({
        postgresUrl: run.postgresUrl,
        controlPlaneDatabase,
        templateDatabase: isolated.templateDatabase,
        redisUrl: run.redisUrl,
        redisPrefix: isolated.redisPrefix,
      }),
  };
}
