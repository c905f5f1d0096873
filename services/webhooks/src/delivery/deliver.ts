import {
  enqueue,
  enqueueMail,
  eventBody,
  type JobPayload,
  openWebhookSecret,
  RefusedTarget,
  resolveTarget,
  UnrecoverableError,
} from "@oryn/shared";
import { listTenantAdmins } from "@oryn/shared/control-plane/tables/memberships";
import {
  claimDeliveryAttempt,
  type DueDelivery,
  findDueDelivery,
  insertDeliveryAttempt,
  markDeliverySucceeded,
  recordDeliveryFailure,
  unqueueDelivery,
} from "@oryn/shared/control-plane/tables/webhook-deliveries";
import {
  clearWebhookEndpointFailing,
  type FailingWebhookEndpoint,
  markWebhookEndpointFailing,
} from "@oryn/shared/control-plane/tables/webhook-endpoints";
import { DelayedError, type Job } from "bullmq";
import type { WebhooksDeps } from "../deps.ts";
import { retryDelayMs } from "./schedule.ts";
import { type SendOutcome, send } from "./send.ts";
import { signatureHeader } from "./signatures.ts";

/** How long a deferred job waits for a slot of its endpoint or tenant to free up. */
const slotWaitMs = () => 500 + Math.round(Math.random() * 500);

/**
 * One attempt at one delivery: the job's attempt must be the row's next, and is claimed in the
 * row before anything is sent, so duplicates of a job send nothing. A held endpoint (paused,
 * disabled) leaves the delivery pending and unqueued; enabling it hands it back to the queue.
 */
export async function deliverOnce(
  deps: WebhooksDeps,
  payload: JobPayload<"webhooks.deliver">,
  job: Job,
  token: string | undefined,
): Promise<void> {
  const { sql } = deps;
  const row = await findDueDelivery(sql, payload.deliveryId);
  if (row?.status !== "pending" || row.attempts !== payload.attempt - 1) return;
  if (row.endpointStatus !== "enabled") {
    await unqueueDelivery(sql, row.id);
    return;
  }
  const slot = { tenantId: row.tenantId, endpointId: row.endpointId, holder: job.id ?? row.id };
  if (!(await deps.slots.take(slot))) {
    // Not an attempt: the job waits its turn without spending one.
    // Our worker always hands the lock token over; without it no retry could do better.
    if (!token) throw new UnrecoverableError("a deferred delivery needs its job's lock token");
    await job.moveToDelayed(Date.now() + slotWaitMs(), token);
    throw new DelayedError();
  }
  try {
    // Past the attempt's longest time and its job's lock, an unfinished attempt is lost (its
    // worker died): the sweep then hands the delivery over again.
    const leaseMs = deps.config.WEBHOOKS_TIMEOUT_MS + deps.config.WEBHOOKS_JOB_LOCK_SECONDS * 1000;
    if (!(await claimDeliveryAttempt(sql, row.id, payload.attempt - 1, leaseMs))) return;
    const outcome = await attempt(deps, row);
    await record(deps, row, payload.attempt, outcome);
  } finally {
    await deps.slots.release(slot);
  }
}

async function attempt(deps: WebhooksDeps, row: DueDelivery): Promise<SendOutcome> {
  const started = performance.now();
  try {
    const target = await resolveTarget(row.url, deps.targetPolicy);
    const secrets = [openWebhookSecret(deps.secretsKey, row.endpointId, row.secretCiphertext)];
    if (row.previousSecretCiphertext && row.previousSecretLive)
      secrets.push(
        openWebhookSecret(deps.secretsKey, row.endpointId, row.previousSecretCiphertext),
      );
    const body = JSON.stringify(eventBody({ ...row, id: row.eventId, type: row.eventType }));
    // A fresh timestamp each attempt (receivers refuse old ones); the id never changes.
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      "webhook-id": row.eventId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatureHeader(secrets, row.eventId, timestamp, body),
    };
    return await send(target, headers, body, deps.config.WEBHOOKS_TIMEOUT_MS);
  } catch (error) {
    if (!(error instanceof RefusedTarget)) throw error;
    return {
      ok: false,
      responseStatus: null,
      durationMs: Math.round(performance.now() - started),
      excerpt: error.message,
    };
  }
}

async function record(
  deps: WebhooksDeps,
  row: DueDelivery,
  attemptNumber: number,
  outcome: SendOutcome,
): Promise<void> {
  const { sql, config } = deps;
  const windowMs = config.WEBHOOKS_RETRY_WINDOW_SECONDS * 1000;
  const schedule = {
    firstDelayMs: config.WEBHOOKS_RETRY_FIRST_DELAY_MS,
    maxDelayMs: config.WEBHOOKS_RETRY_MAX_DELAY_MS,
    windowMs,
  };
  const delayMs = retryDelayMs(schedule, attemptNumber);
  const now = Date.now();
  const retry = !outcome.ok && row.createdAt.getTime() + windowMs > now + delayMs;
  const recorded = sql.begin(async (tx) => {
    await insertDeliveryAttempt(tx, {
      tenantId: row.tenantId,
      endpointId: row.endpointId,
      deliveryId: row.id,
      eventId: row.eventId,
      eventType: row.eventType,
      attempt: attemptNumber,
      status: outcome.ok ? "succeeded" : "failed",
      responseStatus: outcome.responseStatus,
      durationMs: outcome.durationMs,
      responseExcerpt: outcome.excerpt,
    });
    if (outcome.ok) {
      await markDeliverySucceeded(tx, row.id);
      await clearWebhookEndpointFailing(tx, row.endpointId);
      return undefined;
    }
    await recordDeliveryFailure(tx, row.id, {
      status: retry ? "pending" : "failed",
      nextAttemptAt: new Date(now + delayMs),
      enqueuedAt: retry ? new Date(now) : null,
    });
    // Failing without a success for the whole window: the endpoint is disabled, once.
    const endpoint = await markWebhookEndpointFailing(tx, {
      endpointId: row.endpointId,
      deliveryId: row.id,
      windowMs,
      givingUp: !retry,
      wasStatus: row.endpointStatus,
    });
    return endpoint?.justDisabled ? endpoint : undefined;
  });
  let disabled: FailingWebhookEndpoint | undefined;
  try {
    disabled = await recorded;
  } catch (error) {
    if (!deletedMeanwhile(error)) throw error;
    // The endpoint (or the event) was deleted while the attempt ran, its delivery with it: by
    // its tenant's deletion, or its owner's. Nothing is left to record or to retry.
    deps.logger.info(
      { deliveryId: row.id, endpointId: row.endpointId, tenantId: row.tenantId },
      "delivery deleted during its attempt; not recorded",
    );
    return;
  }
  if (retry && !outcome.ok)
    await enqueue(
      deps.queues,
      "webhooks.deliver",
      { deliveryId: row.id, attempt: attemptNumber + 1, enqueuedAt: now },
      { delayMs },
    );
  if (disabled) await mailAdmins(deps, row, disabled);
}

/** The attempt's row refers to a delivery or endpoint that is no longer there (23503). */
function deletedMeanwhile(error: unknown): boolean {
  const pg = error as { code?: string; table_name?: string };
  return pg.code === "23503" && pg.table_name === "webhook_attempts";
}

async function mailAdmins(
  deps: WebhooksDeps,
  row: DueDelivery,
  endpoint: FailingWebhookEndpoint,
): Promise<void> {
  deps.logger.warn({ endpointId: row.endpointId, tenantId: row.tenantId }, "endpoint disabled");
  const admins = await listTenantAdmins(deps.sql, row.tenantId);
  for (const admin of admins) {
    await enqueueMail(deps, {
      template: "webhook-endpoint-disabled",
      to: admin.email,
      // One message per person and endpoint disabling: a retried job sends nothing twice.
      id: `${row.endpointId}.${endpoint.failingSince.getTime()}.${admin.userId}`,
      data: {
        tenantName: endpoint.tenantName,
        endpointUrl: row.url,
        failingSince: endpoint.failingSince.toISOString(),
      },
    });
  }
}
