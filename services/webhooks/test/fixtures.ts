import { randomBytes, randomUUID } from "node:crypto";
import {
  appendEvents,
  createLogger,
  migrateControlPlane,
  type NewEvent,
  newWebhookSecret,
  parseConfig,
  type Sql,
  sealWebhookSecret,
  withDatabase,
} from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { insertTenant } from "@oryn/testing/tenants";
import { startDeliveryWorker } from "../src/delivery/worker.ts";
import { createWebhooksDeps } from "../src/deps.ts";
import { startDispatcher } from "../src/dispatch/dispatcher.ts";
import { webhooksEnv } from "../src/env.ts";

/**
 * The webhooks service in-process (its worker and dispatcher) on a control plane and Redis
 * prefix of its own: the dispatcher reads every tenant's events, so two instances with
 * different settings (another test file's) must not share a log. The webhooks service needs no
 * tenant database, so a bare migrated control plane is all it takes.
 */
export async function webhooksInProcess(overrides: Record<string, string> = {}) {
  const run = testRun();
  const own = `wh${randomBytes(4).toString("hex")}`;
  const databaseUrl = withDatabase(
    run.controlPlaneUrl,
    `${new URL(run.controlPlaneUrl).pathname.slice(1)}_${own}`,
  );
  await migrateControlPlane(databaseUrl);
  const config = parseConfig(webhooksEnv, {
    ...serviceEnv(run),
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: `${run.redisPrefix}-${own}`,
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
    WEBHOOKS_POLL_MS: "50",
    WEBHOOKS_RETRY_FIRST_DELAY_MS: "100",
    WEBHOOKS_RETRY_MAX_DELAY_MS: "400",
    ...overrides,
  });
  const deps = createWebhooksDeps(config, createLogger("webhooks-test", "silent"));
  const worker = startDeliveryWorker(deps);
  const dispatcher = startDispatcher(deps);
  return {
    deps,
    sql: deps.sql,
    async close() {
      await dispatcher.stop();
      await worker.close();
      await deps.close();
    },
  };
}

/** A tenant row, with an admin to mail. */
export async function tenantWithAdmin(sql: Sql): Promise<{ tenantId: string; adminEmail: string }> {
  const tenantId = await insertTenant(sql);
  const userId = randomUUID();
  const adminEmail = `${userId}@admins.test`;
  await sql`insert into users (id, email, name, password_hash)
    values (${userId}, ${adminEmail}, 'Admin', 'not a real hash')`;
  await sql`insert into memberships (tenant_id, user_id, role) values (${tenantId}, ${userId}, 'admin')`;
  return { tenantId, adminEmail };
}

/** An endpoint as the gateway registers one; its secret, as shown once. */
export async function registerEndpoint(
  deps: { sql: Sql; secretsKey: Buffer },
  tenantId: string,
  url: string,
  events: string[] = ["*"],
): Promise<{ id: string; secret: string }> {
  const id = randomUUID();
  const secret = newWebhookSecret();
  await deps.sql`
    insert into webhook_endpoints (id, tenant_id, url, events, secret_ciphertext)
    values (${id}, ${tenantId}, ${url}, ${events}, ${sealWebhookSecret(deps.secretsKey, id, secret)})`;
  return { id, secret };
}

/** Events committed to the tenant's log, as workspace or the gateway record them. */
export async function recordEvents(sql: Sql, tenantId: string, events: NewEvent[]) {
  await sql.begin((tx) => appendEvents(tx, tenantId, events));
}

export type Attempt = {
  attempt: number;
  status: string;
  responseStatus: number | null;
  responseExcerpt: string;
  eventId: string;
};

export const attemptsOf = (sql: Sql, endpointId: string) =>
  sql<Attempt[]>`select attempt, status, response_status, response_excerpt, event_id
    from webhook_attempts where endpoint_id = ${endpointId} order by at, attempt`;
