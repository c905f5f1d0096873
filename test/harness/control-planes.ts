import {
  connect,
  controlPlaneMigrations,
  ensureDatabase,
  migrate,
  withDatabase,
} from "@oryn/shared";
import type { TestRun } from "./context.ts";

/**
 * A control-plane database of a test's own, for tests whose provisioner must not see the run's
 * other tenants (its sweep would take them over). Named under the run, so the run's cleanup
 * drops it too if the test could not.
 */
export async function createControlPlane(
  run: TestRun,
  label: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const url = withDatabase(run.postgresUrl, `oryn_test_${run.runId}_${label}`);
  await ensureDatabase(url);
  const sql = connect(url, { max: 1 });
  try {
    await migrate(sql, controlPlaneMigrations);
  } finally {
    await sql.end();
  }
  return {
    url,
    async drop() {
      const admin = connect(run.postgresUrl, { max: 1 });
      try {
        await admin`drop database if exists ${admin(`oryn_test_${run.runId}_${label}`)} with (force)`;
      } finally {
        await admin.end();
      }
    },
  };
}
