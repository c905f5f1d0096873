import { execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { testRun } from "@oryn/testing/context";
import { freePort } from "@oryn/testing/processes";
import { relay } from "@oryn/testing/tcp-relay";
import { within } from "@oryn/testing/wait";
import { describe, expect, it } from "vitest";
import { connect } from "../src/database.ts";

const run = testRun();
const script = fileURLToPath(
  new URL("./fixtures/backend-dies-mid-transaction.ts", import.meta.url),
);

/**
 * postgres.js 3.4.9 let a connection that lost its backend end the process, break the pool, or
 * run a dead transaction's queries on another session; patches/postgres@3.4.9.patch mends it
 * (porsager/postgres#1208 and the bugs found around it). The fixture runs each case in a child
 * process on a one-connection pool, because the crash was an exception thrown from one of the
 * driver's timers. `next` is what a query on the dead handle got after the pool had reopened
 * the connection for a waiting query (`waited`); `after` is three queries on the pool.
 */
describe("a pool whose connection loses its backend", () => {
  // Unpatched: the transaction's own ROLLBACK was written from a setImmediate to the socket the
  // driver had set to null, an uncaught TypeError that ended the workspace when a tenant
  // database server restarted; later queries of the transaction's body, its COMMIT included, ran
  // on the reopened connection outside any transaction; and the reopened connection failed its
  // first query with the dead one's FATAL error (57P01).
  it("inside a transaction: fails the transaction's later queries, keeps the process and the pool", () => {
    expect(afterBackendDies("transaction")).toEqual({
      holder: "CONNECTION_CLOSED",
      next: "CONNECTION_CLOSED",
      waited: 2,
      after: [1, 1, 1],
    });
  });

  // Unpatched: a query on the dead reserved handle crashed the process the same way, or ran on
  // the reopened connection (an advisory unlock in a session that holds no lock: the provisioner
  // holds its locks this way); release() put the dead connection in the pool's open queue,
  // where every later query failed; and reserve() on a pool without fetch_types never settled.
  it("reserved: fails the handle's later queries, and the pool answers after its release", () => {
    expect(afterBackendDies("reserved")).toEqual({
      holder: "released",
      next: "CONNECTION_CLOSED",
      waited: 2,
      after: [1, 1, 1],
    });
  });

  // Unpatched: the row counter of the query cut off mid-stream survived, and the first query on
  // the reopened connection put its row at that offset (`const [row] = ...` was undefined).
  it("while rows arrive: the next queries' rows start at the first element", () => {
    const { holder, after } = afterBackendDies("streaming") as { holder: string; after: number[] };
    expect(["ECONNRESET", "CONNECTION_CLOSED", "57P01"]).toContain(holder);
    expect(after).toEqual([1, 1, 1]);
  });

  // Unpatched: the pool reopened the connection for the waiting reserve() but took it out of its
  // queue, and a connection opens only for queries: the reserve() never settled.
  it("with a reserve() waiting: hands it the reopened connection", () => {
    expect(afterBackendDies("reserve-waiting")).toMatchObject({
      holder: "CONNECTION_CLOSED",
      waited: 2,
      after: [1, 1, 1],
    });
  });

  // Unpatched: the refused reserve() stayed in the pool's queue. The pool retried it at once, in a
  // loop, for as long as the server was away; once back, the connection went to that request,
  // already settled, and never came back to the pool: every later query waited forever.
  it("after a reserve() refused while the server was away, serves once it is back", async () => {
    const port = await freePort();
    const url = new URL(run.postgresUrl);
    url.host = `127.0.0.1:${port}`;
    const sql = connect(url.href, { max: 1 });
    try {
      await expect(within(sql.reserve(), 5_000)).rejects.toMatchObject({
        code: "ECONNREFUSED",
      });
      const server = await relay(port, run.postgresUrl);
      try {
        expect(await within(sql<{ one: number }[]>`select 1 as one`, 5_000)).toEqual([{ one: 1 }]);
        const reserved = await within(sql.reserve(), 5_000);
        expect(await reserved<{ two: number }[]>`select 2 as two`).toEqual([{ two: 2 }]);
        reserved.release();
      } finally {
        await server.close();
      }
    } finally {
      await within(sql.end({ timeout: 1 }), 5_000).catch(() => {});
    }
  });
});

describe("a reserved connection in good health", () => {
  // The patch fails queries on a handle whose connection closed. A query sent just before
  // release() reaches the driver a tick after it, and must still run: here an unlock, which
  // would otherwise leave the lock held by a pooled session.
  it("runs a query sent just before release()", async () => {
    const sql = connect(run.postgresUrl, { max: 2 });
    const lock = Math.floor(Math.random() * 2 ** 31);
    try {
      const reserved = await sql.reserve();
      await reserved`select pg_advisory_lock(${lock})`;
      const unlocked = reserved<{ unlocked: boolean }[]>`
        select pg_advisory_unlock(${lock}) as unlocked`.then(([row]) => row?.unlocked);
      reserved.release();
      expect(await unlocked).toBe(true);
      const [held] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${lock}`;
      expect(held?.n).toBe(0);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

describe("a pool whose server accepts connections and closes them at once", () => {
  // What a TCP proxy does while the server behind it is away. Unpatched: the pool reconnected for
  // the query in a loop, as fast as its backoff allowed (0 here), and the query never settled.
  it("fails the query with CONNECTION_CLOSED, without a storm of connections", async () => {
    let accepted = 0;
    const closer = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    closer.listen(0, "127.0.0.1");
    await once(closer, "listening");
    const { port } = closer.address() as AddressInfo;
    const sql = connect(`postgres://postgres@127.0.0.1:${port}/none`, { max: 1 });
    try {
      await expect(within(sql`select 1`, 5_000)).rejects.toMatchObject({
        code: "CONNECTION_CLOSED",
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(accepted).toBe(1);
    } finally {
      await within(sql.end({ timeout: 1 }), 5_000).catch(() => {});
      closer.close();
    }
  });
});

describe("the driver's build Oryn loads", () => {
  // The package ships src/ (import), cjs/ (require) and cf/ (Cloudflare); the patch mends src/
  // only, the one Oryn's `import` gets (patches/README.md). Fails if that ever changes.
  it("is src/, the copy the patch mends", () => {
    const resolved = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", 'console.log(import.meta.resolve("postgres"))'],
      { cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8" },
    ).trim();
    expect(resolved).toMatch(/\/postgres\/src\/index\.js$/);
    expect(readFileSync(fileURLToPath(resolved), "utf8")).toContain("Oryn patch");
  });
});

function afterBackendDies(holder: string): unknown {
  const child = spawnSync(process.execPath, [script, run.postgresUrl, holder], {
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(child.stderr).not.toMatch(/TypeError/);
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim());
}
