/**
 * The stack the bench measures: Oryn's four services as real processes, on a PostgreSQL server
 * of the bench's own (the machine's PostgreSQL 15 binaries, fsync on, max_connections 300: the
 * shared server's 100 could not hold a workspace budget of 100 next to everyone else's tests,
 * and its load would be in our figures) and the machine's Redis (or ORYN_TEST_REDIS_URL) under a
 * prefix of its own; a signing key the bench holds too, so it can mint
 * tokens for the tenants it makes; and one list of things to undo, run by `close()` whatever
 * happened (including the scenarios' own nginx, extra processes and temporary folders).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  createLogger,
  migrateControlPlane,
  type Role,
  type Sql,
  withDatabase,
} from "@oryn/shared";
import { unlinkKeys } from "@oryn/testing/cleanup";
import { startThrowawayPostgres, type ThrowawayPostgres } from "@oryn/testing/postgres-server";
import { type Oryn, type Placement, type ServiceName, startOryn } from "@oryn/testing/processes";
import {
  generateSigningKeySet,
  loadSigningKeys,
} from "../../services/gateway/src/tokens/signing-keys.ts";
import type { ProvisioningDeps } from "../../services/provisioner/src/provisioning/provision-tenant.ts";

export type BenchStack = {
  oryn: Oryn;
  postgres: ThrowawayPostgres;
  redisUrl: string;
  controlPlane: Sql;
  controlPlaneUrl: string;
  templateDatabase: string;
  redisPrefix: string;
  /** Where the services run (`taskset -c`), as the report states it. */
  placement: Placement;
  /** The real provisioning steps against this stack's servers (see packages/testing/src/tenants.ts). */
  provisioning: ProvisioningDeps;
  /** An access token the gateway and workspace accept, for a tenant the bench made. */
  mint(tenantId: string, role?: Role): Promise<string>;
  /** Registers something to undo at `close()`; undone last registered first. */
  defer(undo: () => unknown): void;
  /** Stops everything and removes everything the stack and its scenarios made. */
  close(): Promise<void>;
};

export async function startBenchStack(options: {
  name: string;
  placement: Placement;
  /** The bench PostgreSQL's max_connections (default 300). */
  maxConnections?: number;
  settings?: Record<string, string>;
  overrides?: Partial<Record<ServiceName, Record<string, string>>>;
}): Promise<BenchStack> {
  const redisUrl = process.env.ORYN_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
  const runId = `${options.name}${Date.now().toString(36)}`;
  const controlPlaneDatabase = `oryn_${runId}`;
  const templateDatabase = `oryn_tpl_${runId}`;
  const redisPrefix = `oryn-${runId}`;
  const secretsDir = mkdtempSync(join(tmpdir(), `oryn-${options.name}-`));
  const passwordSecret = randomBytes(32).toString("base64url");
  // Handed to the gateway through its environment; the bench signs with the same key.
  const signingKeySet = generateSigningKeySet();
  const undo: (() => unknown)[] = [];
  let closed = false;
  let closing: Promise<void> | undefined;
  // One closing, however many ask (the run's end and a Ctrl-C can both): all wait for it.
  const close = () => {
    closed = true;
    closing ??= (async () => {
      for (const step of undo.reverse()) {
        // One failed step must not keep the others from running.
        await Promise.resolve()
          .then(step)
          .catch((error) => console.error(`[bench] cleanup step failed: ${error}`));
      }
    })();
    return closing;
  };
  undo.push(() => rmSync(secretsDir, { recursive: true, force: true }));
  // Queue keys ({prefix}:…) and plain ones (prefix:…, the rate limits).
  undo.push(() => unlinkKeys(redisUrl, [`{${redisPrefix}}:*`, `${redisPrefix}:*`]));

  try {
    const postgres = await startThrowawayPostgres({
      label: "benchsuite",
      durable: true,
      placement: options.placement,
      ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
      // As docs/operations.md advises a server of about a thousand tenant databases: with the
      // default of 1 min, autovacuum's launcher starts a worker in another database every 50 ms
      // or so, about 0.3 of a core with nothing to do (measured on 2026-12-06), which every
      // figure of the later scenarios then carried and no quiet wait could outlast.
      settings: { autovacuum_naptime: "10min" },
    });
    // Its databases and roles go with it: nothing of the bench stays on a shared server.
    undo.push(() => postgres.remove());
    const controlPlaneUrl = withDatabase(postgres.url, controlPlaneDatabase);
    console.log(`[bench] own PostgreSQL on port ${postgres.port}; Redis prefix ${redisPrefix}`);
    await migrateControlPlane(controlPlaneUrl);
    const controlPlane = connect(controlPlaneUrl, { max: 4 });
    const admin = connect(postgres.url, { max: 6 });
    undo.push(() => Promise.all([controlPlane.end(), admin.end()]));
    const oryn = await startOryn(
      {
        NODE_ENV: "test",
        LOG_LEVEL: "warn",
        DATABASE_URL: controlPlaneUrl,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: redisPrefix,
        TENANT_DATABASE_URL: postgres.url,
        TENANT_DATABASE_SERVER: `postgres://${new URL(postgres.url).host}`,
        TENANT_TEMPLATE_DATABASE: templateDatabase,
        TENANT_DB_PASSWORD_SECRET: passwordSecret,
        JWT_SIGNING_KEYS: signingKeySet,
        SECRETS_DIR: secretsDir,
        // The limiter is not what most scenarios measure: every bucket out of the way (status
        // polls count against each tenant's plan, and the plans' burst windows are small). The
        // rejected-traffic scenario starts a gateway of its own with the plans' limits.
        RATE_LIMIT_IP_PER_MINUTE: "100000000",
        SIGNUPS_PER_MINUTE: "100000000",
        RATE_LIMIT_TENANT_PER_MINUTE: "100000000",
        RATE_LIMIT_TENANT_PER_SECOND: "100000000",
        // The default server takes 1,000 tenants; the bench makes that many and signs up more.
        TENANT_SERVER_DEFAULT_CAPACITY: "100000",
        ...options.settings,
      },
      options.overrides,
      // Four services starting at once on one pinned core of a busy machine can take a while.
      { ...options.placement, healthTimeoutMs: 90_000 },
    );
    undo.push(() => oryn.stop());
    const keys = await loadSigningKeys({
      value: signingKeySet,
      nodeEnv: "test",
      secretsDir,
      issuer: "oryn",
      audience: "oryn-api",
      ttlSeconds: 600,
    });
    return {
      oryn,
      postgres,
      redisUrl,
      controlPlane,
      controlPlaneUrl,
      templateDatabase,
      redisPrefix,
      placement: options.placement,
      provisioning: {
        controlPlane,
        admin,
        adminUrl: postgres.url,
        template: templateDatabase,
        passwordSecret,
        logger: createLogger("bench-provisioning", "silent"),
      },
      mint: (tenantId, role = "owner") =>
        keys.sign({
          userId: randomUUID(),
          tenantId,
          role,
          tokenId: randomUUID(),
          kind: "user",
          membershipVersion: 1,
          // Outlives the whole run, unlike the 10-minute tokens signup hands out.
          ttlSeconds: 3600,
        }),
      defer: (step) => {
        // Something started while an interrupted run is closing is undone at once.
        if (closed) void Promise.resolve().then(step);
        else undo.push(step);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
