import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { testRun } from "../../../test/harness/context.ts";

const run = testRun();
const script = fileURLToPath(
  new URL("./fixtures/backend-dies-mid-transaction.ts", import.meta.url),
);

/**
 * postgres.js 3.4.9 (porsager/postgres#1208) let a held connection whose backend died end the
 * process or break the pool; patches/postgres@3.4.9.patch mends it. Each case runs in a child
 * process, because the crash was an exception thrown from one of the driver's timers.
 */
describe("a pool whose held connection loses its backend", () => {
  // Unpatched: the transaction's own ROLLBACK was written from a setImmediate to the socket the
  // driver had set to null, an uncaught TypeError that ended the workspace when a tenant
  // database server restarted. With that mended, the reopened connection still failed its first
  // query with the dead one's FATAL error (57P01).
  it("inside a transaction: rejects it, keeps the process alive and answers the next queries", () => {
    expect(afterBackendDies("transaction")).toEqual({
      failure: "CONNECTION_CLOSED",
      after: [1, 1, 1],
    });
  });

  // Unpatched: the query on the dead reserved connection crashed the process the same way, and
  // release() put the dead connection in the pool's open queue, where every later query failed
  // with CONNECTION_CLOSED. The provisioner holds its advisory locks this way.
  it("reserved: fails the next query on it, and the pool answers after its release", () => {
    expect(afterBackendDies("reserved")).toEqual({
      failure: "CONNECTION_CLOSED",
      after: [1, 1, 1],
    });
  });
});

function afterBackendDies(holder: "transaction" | "reserved"): unknown {
  const child = spawnSync(process.execPath, [script, run.postgresUrl, holder], {
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(child.stderr).not.toMatch(/TypeError/);
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim());
}
