import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateControlPlane, withDatabase } from "@oryn/shared";
import type { TestProject } from "vitest/node";
import { removeRun } from "./cleanup.ts";
import type { TestRun } from "./context.ts";
import { resolveInfrastructure } from "./infrastructure.ts";

/**
 * One control-plane database, template name and Redis prefix per run, so runs never see each
 * other's data and the machine's servers are left as they were found.
 */
export default async function setup(project: TestProject) {
  const infrastructure = await resolveInfrastructure();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const controlPlaneDatabase = `oryn_test_${runId}`;
  const run: TestRun = {
    runId,
    source: infrastructure.source,
    postgresUrl: infrastructure.postgresUrl,
    controlPlaneUrl: withDatabase(infrastructure.postgresUrl, controlPlaneDatabase),
    redisUrl: infrastructure.redisUrl,
    redisPrefix: `oryn-test-${runId}`,
    templateDatabase: `oryn_tpl_${runId}`,
    secretsDir: mkdtempSync(join(tmpdir(), "oryn-secrets-")),
    tenantDbPasswordSecret: randomBytes(32).toString("base64url"),
  };
  console.log(
    `[oryn tests] using ${infrastructure.source}: PostgreSQL ${infrastructure.postgresUrl}, Redis ${infrastructure.redisUrl}; ` +
      `control plane ${controlPlaneDatabase}, Redis prefix ${run.redisPrefix}`,
  );

  await migrateControlPlane(run.controlPlaneUrl);
  project.provide("testRun", run);

  return async () => {
    await removeRun({
      postgresUrl: run.postgresUrl,
      controlPlaneDatabase,
      templateDatabase: run.templateDatabase,
      redisUrl: run.redisUrl,
      redisPrefix: run.redisPrefix,
    });
    rmSync(run.secretsDir, { recursive: true, force: true });
    await infrastructure.stop();
    console.log(
      `[oryn tests] removed ${controlPlaneDatabase}, its tenant databases and roles, and Redis prefix ${run.redisPrefix}`,
    );
  };
}
