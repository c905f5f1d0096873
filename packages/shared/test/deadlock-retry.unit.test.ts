import { describe, expect, it } from "vitest";
import { beginRetryingDeadlocks, type Sql } from "../src/database.ts";

/**
 * The rerun policy alone, on a stand-in for the pool's `begin` that fails as PostgreSQL does.
 * The deadlock itself, against a real server, is in services/gateway/test/sessions.test.ts.
 */
function failingBegin(failures: Array<string | undefined>) {
  let calls = 0;
  const sql = {
    begin: async (work: (tx: unknown) => Promise<unknown>) => {
      const code = failures[calls++];
      if (code) throw Object.assign(new Error(`failed with ${code}`), { code });
      return work({});
    },
  } as unknown as Sql;
  return { sql, calls: () => calls };
}

describe("beginRetryingDeadlocks", () => {
  it("runs a transaction PostgreSQL chose as a deadlock's victim again, and answers the rerun", async () => {
    const { sql, calls } = failingBegin(["40P01", "40P01"]);
    expect(await beginRetryingDeadlocks(sql, async () => "done")).toBe("done");
    expect(calls()).toBe(3);
  });

  it("gives up after three deadlocks in a row, with the last one's error", async () => {
    const { sql, calls } = failingBegin(["40P01", "40P01", "40P01", undefined]);
    await expect(beginRetryingDeadlocks(sql, async () => "done")).rejects.toMatchObject({
      code: "40P01",
    });
    expect(calls()).toBe(3);
  });

  it("does not run again after any other failure", async () => {
    const { sql, calls } = failingBegin(["23505"]);
    await expect(beginRetryingDeadlocks(sql, async () => "done")).rejects.toMatchObject({
      code: "23505",
    });
    expect(calls()).toBe(1);
  });
});
