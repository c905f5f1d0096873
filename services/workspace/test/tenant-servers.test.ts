/**
 * A tenant's server refusing connections for a while must not leave its pool unusable once the
 * server is back: postgres.js strands a connection whose socket could not be made, so a pool
 * that failed more times than it has connections would wait forever (found by
 * test/faults/database-server-restart.test.ts). The "server" here is a TCP relay to the run's
 * PostgreSQL on a port of its own, closed and opened again as a restart would.
 */
import type { Socket } from "node:net";
import { connect } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { freePort } from "@oryn/testing/processes";
import { relay as relayTo } from "@oryn/testing/tcp-relay";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { within } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantPools } from "../src/tenants/tenant-pools.ts";
import { createTenantServers } from "../src/tenants/tenant-servers.ts";

const run = testRun();
/** A relay on `port` to the run's PostgreSQL. */
const relay = (port: number) => relayTo(port, run.postgresUrl);
const provisioning = provisioningDeps(run);
// A control plane with no placement: every tenant resolves to the fallback, the relay's port.
let placement: Awaited<ReturnType<typeof isolatedRun>>;
let tenantId: string;

beforeAll(async () => {
  [placement, tenantId] = await Promise.all([
    isolatedRun("tenantservers"),
    activeTenant(provisioning),
  ]);
});
afterAll(async () => {
  await provisioning.close();
  await placement?.drop();
});

/** Small tenant pools that find servers through `servers`, as workspace's do. */
function poolsThrough(servers: { socketFor: (tenantId: string) => Promise<Socket> }) {
  return createTenantPools({
    serverUrl: run.postgresUrl,
    passwordSecret: run.tenantDbPasswordSecret,
    maxConnectionsPerPool: 2,
    maxConnections: 10,
    maxPools: 10,
    idleMs: 60_000,
    waitMs: 1_000,
    socketFor: servers.socketFor,
  });
}

describe("a tenant pool whose server was away", () => {
  it("answers 503 while the server refuses, and serves again once it is back", async () => {
    const port = await freePort();
    const controlPlane = connect(placement.controlPlaneUrl, { max: 1 });
    const pools = poolsThrough(
      createTenantServers({
        controlPlane,
        fallbackUrl: `postgres://127.0.0.1:${port}`,
        ttlMs: 60_000,
        staleMs: 0,
      }),
    );
    const one = () => pools.run(tenantId, (sql) => sql<{ one: number }[]>`select 1 as one`);
    let server: { close(): Promise<void> } | undefined;
    try {
      // More refusals than the pool has connections: one stranded per refusal would leave none.
      for (let attempt = 0; attempt < 10; attempt++) {
        await expect(within(one(), 5_000)).rejects.toMatchObject({
          status: 503,
          code: "upstream_unavailable",
        });
      }
      server = await relay(port);
      for (let attempt = 0; attempt < 5; attempt++) {
        expect(await within(one(), 5_000)).toEqual([{ one: 1 }]);
      }
    } finally {
      await within(pools.closeAll(), 10_000).catch(() => {});
      await server?.close();
      await controlPlane.end();
    }
  });

  it("fails each query, never hangs one, while it cannot even learn where the tenant is", async () => {
    // The placement lookup itself fails: its control plane is a port nothing listens on.
    const controlPlane = connect(`postgres://postgres@127.0.0.1:${await freePort()}/none`, {
      max: 1,
    });
    const pools = poolsThrough(
      createTenantServers({ controlPlane, fallbackUrl: run.postgresUrl, ttlMs: 0, staleMs: 0 }),
    );
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        await expect(
          within(
            pools.run(tenantId, (sql) => sql`select 1`),
            5_000,
          ),
        ).rejects.toMatchObject({ status: 503 });
      }
    } finally {
      await within(pools.closeAll(), 10_000).catch(() => {});
      await controlPlane.end();
    }
  });

  it("opens connections at the address it last read while the control plane is away, for staleMs", async () => {
    // The control plane is reached through a relay of its own, closed as the server would stop.
    const controlPlanePort = await freePort();
    const controlPlaneRelay = await relay(controlPlanePort);
    const url = new URL(placement.controlPlaneUrl);
    url.host = `127.0.0.1:${controlPlanePort}`;
    const controlPlane = connect(url.href, { max: 1 });
    const through = (staleMs: number) =>
      createTenantServers({ controlPlane, fallbackUrl: run.postgresUrl, ttlMs: 0, staleMs });
    const [fresh, stale] = [through(0), through(60_000)];
    const query = async (servers: ReturnType<typeof through>) => {
      // New pools each time: every query needs a new connection, so a new address lookup.
      const pools = poolsThrough(servers);
      try {
        return await within(
          pools.run(tenantId, (sql) => sql<{ one: number }[]>`select 1 as one`),
          5_000,
        );
      } finally {
        await within(pools.closeAll(), 10_000).catch(() => {});
      }
    };
    try {
      expect(await query(fresh)).toEqual([{ one: 1 }]);
      expect(await query(stale)).toEqual([{ one: 1 }]);
      await controlPlaneRelay.close();
      await expect(query(fresh)).rejects.toMatchObject({ status: 503 });
      expect(await query(stale)).toEqual([{ one: 1 }]);
    } finally {
      await controlPlaneRelay.close().catch(() => {});
      await controlPlane.end();
    }
  });
});
