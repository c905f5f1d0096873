import { defineConfig } from "vitest/config";
import { cacheCompiledCode } from "./packages/testing/src/compile-cache.ts";

cacheCompiledCode();

const testFolders = ["services/*/test/**", "packages/*/test/**", "test/**", "bench/test/**"];
/** The fast tier: pure code, no PostgreSQL, Redis or process; `pnpm test --project unit`. */
const unitFiles = testFolders.map((folder) => `${folder}/*.unit.test.ts`);

export default defineConfig({
  test: {
    // On CI a JSON report too, from which .ci/run prints the plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: "test-results/vitest.json" },
    pool: "forks",
    maxWorkers: 2,
    // `pnpm test` runs both projects, each file once; `--project <name>` runs one.
    projects: [
      {
        extends: true,
        // Pure code: files share one module graph per worker (no isolation to pay for).
        test: { name: "unit", include: unitFiles, testTimeout: 5_000, isolate: false },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: testFolders.map((folder) => `${folder}/*.test.ts`),
          // The fault and fuzz suite has its own command and CI step: `pnpm test:faults`.
          exclude: [...unitFiles, "test/faults/**", "**/node_modules/**"],
          // Finds PostgreSQL and Redis, makes this run's control-plane database and Redis
          // prefix, and removes both (and every tenant database the run made) at the end.
          globalSetup: ["packages/testing/src/global-setup.ts"],
          // Tests that spawn CLIs or services took past 30 s on a loaded 2-core machine.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
