import { defineConfig } from "vitest/config";
import { cacheCompiledCode } from "./packages/testing/src/compile-cache.ts";

cacheCompiledCode();

/**
 * `pnpm test:faults`: the fault and fuzz suite (test/faults). It kills and restarts real
 * processes and servers, so it runs as its own CI step, one file at a time, after `pnpm test`.
 * Each fault file records what it provoked through test/faults/report.ts; the report setup
 * prints the table and writes test-results/faults-report.json at the end.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    globalSetup: ["packages/testing/src/global-setup.ts", "test/faults/report-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: "test-results/faults-vitest.json" },
    pool: "forks",
    // Faults stop servers and load the machine; one file at a time keeps them from provoking
    // each other's.
    maxWorkers: 1,
  },
});
