/**
 * `node bench/pool-policy.ts`: workspace's tenant pool policy alone, with a fake connector: Zipf
 * traffic (s = 1) from 50 clients over 1,000 tenants under a budget of 100 connections, counting
 * new connections (PostgreSQL sessions) per answer against the perfect-cache bound
 * 1 - H(B)/H(N). No database and no other process: on a machine too busy for `pnpm bench
 * many-tenants` (a 35-minute run there once gave 6 answers/s), it still compares two policies.
 * The timings imitate the bench: ~150 ms between a client's requests, 2 ms queries, 10 ms
 * connects. Settings: POOL_SIM_TENANTS, _BUDGET, _CLIENTS, _WARMUP_SECONDS, _SECONDS.
 */
import type { Sql } from "@oryn/shared";
import { createTenantPools } from "../services/workspace/src/tenants/tenant-pools.ts";
import { zipfPicker } from "./lib/zipf.ts";
import { perfectCacheBound } from "./lib/zipf-bound.ts";

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const tenants = setting("POOL_SIM_TENANTS", 1000);
const budget = setting("POOL_SIM_BUDGET", 100);
const clients = setting("POOL_SIM_CLIENTS", 50);
const warmupMs = setting("POOL_SIM_WARMUP_SECONDS", 5) * 1000;
const measuredMs = setting("POOL_SIM_SECONDS", 20) * 1000;

const pickRank = zipfPicker(tenants);
/** A tenant by Zipf rank. */
const pickTenant = () => `tenant-${pickRank()}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let opened = 0;
/** A fake pool: its first query opens a connection (10 ms), each query takes 2 ms. */
const connectTenant = (): Sql => {
  const connections = { open: 0, busy: 0 };
  return {
    async query() {
      connections.busy++;
      if (connections.busy > connections.open) {
        connections.open++;
        opened++;
        await sleep(10);
      }
      await sleep(2);
      connections.busy--;
    },
    end: () => sleep(1),
  } as unknown as Sql;
};

const pools = createTenantPools({
  serverUrl: "postgres://unused",
  passwordSecret: "unused",
  maxConnectionsPerPool: 5,
  maxConnections: budget,
  maxPools: budget,
  idleMs: 30_000,
  waitMs: 2000,
  connectTenant,
});
let answers = 0;
let refused = 0;
let openedAtStart = 0;
const started = performance.now();
setTimeout(() => {
  openedAtStart = opened;
  answers = 0;
  refused = 0;
}, warmupMs);
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (performance.now() - started < warmupMs + measuredMs) {
      await sleep(150 * (0.5 + Math.random()));
      try {
        await pools.run(pickTenant(), (sql) =>
          (sql as unknown as { query(): Promise<void> }).query(),
        );
        answers++;
      } catch {
        refused++;
      }
    }
  }),
);
await pools.closeAll();
const perAnswer = (opened - openedAtStart) / answers;
const bound = perfectCacheBound(budget, tenants);
console.log(
  JSON.stringify({
    tenants,
    budget,
    answers,
    refused,
    sessions: opened - openedAtStart,
    sessionsPerAnswer: Number(perAnswer.toFixed(3)),
    bound: Number(bound.toFixed(3)),
    ratio: Number((perAnswer / bound).toFixed(3)),
  }),
);
