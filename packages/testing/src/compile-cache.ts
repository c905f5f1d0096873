import { join } from "node:path";

/**
 * Points Node's compile cache (NODE_COMPILE_CACHE, Node 22.1+) at node_modules/.cache for every
 * process a test run starts: vitest's workers and, through them, each service, CLI and bench
 * process the tests spawn. A run starts several hundred service processes, each compiling the
 * same modules (hono, postgres.js, bullmq, stripe, zod, our own) on two cores; with the cache a
 * process reuses the bytecode the first one made. Measured here: importing the gateway's app
 * took 1.3 s of CPU cold and 0.9 s from the cache; test/startup.test.ts (16 tests, a stack per
 * group) 3–5 % less CPU in alternating runs, since most of a test's CPU is not compiling. Called
 * from the vitest configs, before any worker is forked. A value already set is kept.
 */
export function cacheCompiledCode(): void {
  process.env.NODE_COMPILE_CACHE ??= join(
    import.meta.dirname,
    "../../../node_modules/.cache/node-compile-cache",
  );
}
