import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["services/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // The fault and fuzz suite has its own command and CI step: `pnpm test:faults`.
    exclude: ["test/faults/**", "**/node_modules/**"],
    // Finds PostgreSQL and Redis, makes this run's control-plane database and Redis prefix,
    // and removes both (and every tenant database the run made) at the end.
    globalSetup: ["packages/testing/src/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // On CI a JSON report too, from which .ci/run prints the plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: "test-results/vitest.json" },
    pool: "forks",
    maxWorkers: 2,
  },
});
