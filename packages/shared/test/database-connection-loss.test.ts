import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { testRun } from "../../../test/harness/context.ts";

const run = testRun();
const script = fileURLToPath(
  new URL("./fixtures/backend-dies-mid-transaction.ts", import.meta.url),
);

describe("a pool whose backend dies inside a transaction", () => {
  // postgres.js 3.4.9 rolls the transaction back on the dead connection and writes that ROLLBACK
  // from a setImmediate to a socket it has already set to null: an uncaught TypeError that ended
  // the workspace when a tenant database server restarted (porsager/postgres#1208). It also kept
  // the FATAL error on the connection and failed the first query after it was opened again.
  // patches/postgres@3.4.9.patch fails a query sent to a closed connection with
  // CONNECTION_CLOSED, and forgets the dead connection's query, error and deferred write.
  it("rejects the transaction, keeps the process alive and answers the next query", () => {
    const child = spawnSync(process.execPath, [script, run.postgresUrl], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.stderr).not.toMatch(/TypeError/);
    expect(child.status).toBe(0);
    const { failure, after } = JSON.parse(child.stdout.trim());
    // Whichever the driver sees first: the server's FATAL (57P01) or the socket closing.
    expect(["57P01", "CONNECTION_CLOSED"]).toContain(failure);
    // Unpatched, this query failed with the 57P01 the dead connection had kept.
    expect(after).toBe(1);
  });
});
