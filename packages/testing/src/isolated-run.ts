import { connect, migrateControlPlane, withDatabase } from "@oryn/shared";
import { dropControlPlaneObjects, unlinkKeys } from "./cleanup.ts";
import { type TestRun, testRun } from "./context.ts";

/**
 * A control plane, template and Redis prefix of a test file's own, inside this run. Billing's
 * sweep acts on every tenant and event of its control plane (it makes Stripe customers, re-reads
 * subscriptions), so a billing test that shared the run's control plane with other files would
 * make customers for their tenants at its own fake Stripe, and theirs for its. Names start with
 * the run's, so a crashed file's leftovers are recognisable.
 */
export async function isolatedRun(
  name: string,
  options: {
    /**
     * Admin URL of the server to hold the control plane, when not the run's (tenant databases,
     * spares and the template stay on the run's server). It must be up when `drop` runs.
     */
    controlPlaneServerUrl?: string;
  } = {},
): Promise<TestRun & { drop(): Promise<void> }> {
  const run = testRun();
  const controlPlaneServerUrl = options.controlPlaneServerUrl ?? run.postgresUrl;
  const controlPlaneDatabase = `oryn_test_${run.runId}_${name}`;
  const isolated: TestRun = {
    ...run,
    controlPlaneUrl: withDatabase(controlPlaneServerUrl, controlPlaneDatabase),
    templateDatabase: `oryn_tpl_${run.runId}_${name}`,
    redisPrefix: `${run.redisPrefix}-${name}`,
  };
  await migrateControlPlane(isolated.controlPlaneUrl);
  return {
    ...isolated,
    drop: () => dropIsolated(isolated, controlPlaneServerUrl, controlPlaneDatabase),
  };
}

/**
 * Removes what the file made: its tenants' databases and roles, its spare databases, its template and control plane,
 * its Redis keys. Unlike the run's own cleanup it leaves the server-wide roles (`oryn_tenant`,
 * `oryn_billing`, ...) alone: other files of this run, and other runs on the same server, are
 * using them right now.
 */
async function dropIsolated(
  run: TestRun,
  controlPlaneServerUrl: string,
  controlPlaneDatabase: string,
): Promise<void> {
  const admin = connect(run.postgresUrl, { max: 1 });
  const controlPlaneAdmin =
    controlPlaneServerUrl === run.postgresUrl ? admin : connect(controlPlaneServerUrl, { max: 1 });
  try {
    await dropControlPlaneObjects(admin, controlPlaneServerUrl, controlPlaneDatabase);
    await admin`drop database if exists ${admin(run.templateDatabase)} with (force)`;
    await controlPlaneAdmin`drop database if exists ${controlPlaneAdmin(controlPlaneDatabase)} with (force)`;
  } finally {
    await admin.end();
    if (controlPlaneAdmin !== admin) await controlPlaneAdmin.end();
  }
  await unlinkKeys(run.redisUrl, [`{${run.redisPrefix}}:*`, `${run.redisPrefix}:*`]);
}
