import {
  type BackoffStrategy,
  type Job,
  type JobsOptions,
  Queue,
  UnrecoverableError,
  Worker,
} from "bullmq";

/** Thrown by a handler, fails its job at once: for failures no retry can mend. */
export { UnrecoverableError };

import { z } from "zod";
import type { Logger } from "./logger.ts";
import { type MailMessage, mailMessage } from "./mail/messages.ts";
import type { Metrics } from "./operations.ts";
import {
  closeRedis,
  connectRedisForRequests,
  connectRedisForWorker,
  type RedisClient,
} from "./redis.ts";
import { withTimeout } from "./timeouts.ts";

/**
 * The backoff type of mail jobs: the mailer's worker computes the delays and decides when to give
 * up (MAIL_ATTEMPTS, MAIL_BACKOFF_MS, MAIL_BACKOFF_MAX_MS), so the policy is a setting of the one
 * process that sends, not of every producer.
 */
export const mailBackoffType = "mail";
/** Mail jobs' `attempts`: only a ceiling, the mailer's MAIL_ATTEMPTS (at most this) stops first. */
export const mailAttemptsCeiling = 1000;

/** Finished jobs stay a day, failed ones a week: long enough to look into on the queue board. */
const kept = {
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} satisfies JobsOptions;

/** `attempts` in all, the first retry after `delay` ms and each later one twice as long after. */
function retried(attempts: number, delay: number) {
  return { attempts, backoff: { type: "exponential", delay }, ...kept } satisfies JobsOptions;
}

/**
 * Every job Oryn runs: its queue, payload schema, retry policy and deterministic id. Producers
 * enqueue through `enqueue`, and workers validate the payload against the same schema.
 */
export const jobCatalogue = {
  provisionTenant: {
    queue: "provisioning",
    // The request id of the signup travels with the job, so its logs join the request's.
    payload: z.object({ tenantId: z.uuid(), requestId: z.string().max(128).optional() }),
    // The tenant id as job id: a second enqueue for the same tenant is a no-op.
    jobId: (payload: { tenantId: string }) => payload.tenantId,
    options: retried(5, 1000),
  },
  /** Billing: the tenant's Stripe customer, made once (Stripe idempotency key from the tenant id). */
  createStripeCustomer: {
    queue: "billing",
    payload: z.object({ tenantId: z.uuid() }),
    // BullMQ refuses ':' in custom ids; the prefix keeps these apart from event ids.
    jobId: (payload: { tenantId: string }) => `customer-${payload.tenantId}`,
    options: retried(8, 1000),
  },
  /**
   * Billing: one recorded Stripe event. The event id is the job id, so Stripe's retries and
   * duplicates add nothing; the row's `processed_at` makes processing itself happen once.
   */
  processStripeEvent: {
    queue: "billing",
    payload: z.object({ eventId: z.string().regex(/^evt_[A-Za-z0-9_]+$/) }),
    jobId: (payload: { eventId: string }) => payload.eventId,
    // 1 s doubling to about 8.5 min in all; past that, billing's sweep retries it.
    options: retried(10, 1000),
  },
  /**
   * Billing: bring a tenant's plan and status in step with Stripe at a given moment, e.g. when
   * a failed payment's grace period ends. One job per tenant and moment.
   */
  syncTenantBilling: {
    queue: "billing",
    payload: z.object({ tenantId: z.uuid(), dueAt: z.number().int().nonnegative() }),
    jobId: (payload: { tenantId: string; dueAt: number }) =>
      `sync-${payload.tenantId}-${payload.dueAt}`,
    options: retried(10, 1000),
  },
  /**
   * Provisioner: bring one tenant database to the fleet migration's target version
   * (`pnpm oryn migrate`). One job per tenant; a failure is final for the run (a conflicting
   * object does not mend itself) and is reported, and re-running the command tries it again.
   */
  migrateTenantDatabase: {
    queue: "fleet-migrations",
    payload: z.object({ tenantId: z.uuid(), targetVersion: z.number().int().positive() }),
    jobId: (payload: { tenantId: string }) => `tenant-${payload.tenantId}`,
    options: { attempts: 1, ...kept } satisfies JobsOptions,
  },
  /**
   * Provisioner: drop a tenant's database and role once its deletion grace period has passed.
   * Enqueued delayed until `deleteAfter` (epoch ms) by whoever marked the tenant `deleting`; the
   * deadline is part of the id, so a tenant restored and deleted again gets a new job rather
   * than colliding with the finished one. The handler re-checks the tenant row, so a job of a
   * restored tenant is harmless, and the provisioner's sweep finds tenants whose job was lost.
   */
  deleteTenant: {
    queue: "tenant-lifecycle",
    payload: z.object({ tenantId: z.uuid(), deleteAfter: z.number().int().nonnegative() }),
    jobId: (payload: { tenantId: string; deleteAfter: number }) =>
      `delete-${payload.tenantId}-${payload.deleteAfter}`,
    options: retried(8, 2000),
  },
  /** Provisioner: write one requested export of a tenant's data (a `tenant_exports` row). */
  exportTenant: {
    queue: "tenant-exports",
    payload: z.object({ exportId: z.uuid(), tenantId: z.uuid() }),
    jobId: (payload: { exportId: string }) => `export-${payload.exportId}`,
    options: retried(3, 2000),
  },
  /**
   * Mailer: one message from a template (see mail/messages.ts); producers use `enqueueMail`.
   * Template and id make the job id: a second enqueue of the same message is a no-op while the
   * job is kept (pending, failed, or up to an hour after delivery). Completed jobs go after an
   * hour because their data holds the message's token.
   */
  "mail.send": {
    queue: "mail",
    payload: mailMessage,
    jobId: (payload: MailMessage) => `mail-${payload.template}-${payload.id}`,
    options: {
      attempts: mailAttemptsCeiling,
      backoff: { type: mailBackoffType },
      removeOnComplete: { age: 3600 },
      removeOnFail: kept.removeOnFail,
    } satisfies JobsOptions,
  },
  /**
   * Webhooks: one attempt at one delivery (a `webhook_deliveries` row). The webhooks service
   * schedules each retry itself, as a new job, and the row says which attempt is due: a job whose
   * attempt is not the row's next (a duplicate, or one a dead worker left) does nothing. The time
   * it was handed to the queue is part of the id, so handing a held delivery over again (after a
   * pause) is not mistaken for the finished job.
   */
  "webhooks.deliver": {
    queue: "webhooks",
    payload: z.object({
      deliveryId: z.uuid(),
      attempt: z.number().int().positive(),
      enqueuedAt: z.number().int().nonnegative(),
    }),
    jobId: (payload: { deliveryId: string; attempt: number; enqueuedAt: number }) =>
      `delivery-${payload.deliveryId}-${payload.attempt}-${payload.enqueuedAt}`,
    // Only for a failure of our own (the control plane away): the endpoint's retries are jobs
    // of their own, on the endpoint's schedule.
    options: retried(5, 2000),
  },
} as const;

export type JobName = keyof typeof jobCatalogue;
export type JobPayload<N extends JobName> = z.infer<(typeof jobCatalogue)[N]["payload"]>;
export type QueueName = (typeof jobCatalogue)[JobName]["queue"];

/** Every queue the catalogue uses. */
export const queueNames = [
  ...new Set(Object.values(jobCatalogue).map((job) => job.queue)),
] as QueueName[];

/** Braces make the prefix a Redis Cluster hash tag: all of a queue's keys share one slot. */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}

export type Queues = { get(name: QueueName): Queue; close(): Promise<void> };

export function createQueues(connection: RedisClient, prefix: string, logger?: Logger): Queues {
  const queues = new Map<QueueName, Queue>();
  return {
    get(name) {
      let queue = queues.get(name);
      if (!queue) {
        queue = new Queue(name, { connection, prefix: queuePrefix(prefix) });
        // Without a listener an 'error' (Redis away) would be printed raw or thrown.
        queue.on("error", (error) => logger?.warn({ err: error, queue: name }, "queue error"));
        queues.set(name, queue);
      }
      return queue;
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}

/**
 * A worker process's Redis (the worker's connection settings, its errors logged rather than
 * thrown) and its queues on it; `close` ends the queues, then the connection.
 */
export function connectWorkerQueues(config: RedisSettings, logger: Logger): QueuesOnRedis {
  const redis = connectRedisForWorker(config.REDIS_URL);
  redis.on("error", (error) => logger.warn({ err: error }, "redis error"));
  return queuesOn(redis, config, logger);
}

/**
 * The queues a request handler enqueues on (a signup's job, a Stripe event), on a connection of
 * their own: unlike the requests' Redis, which fails fast, it may wait a little for Redis (an
 * offline queue and a 2 s command timeout), so a blip does not lose the job.
 */
export function connectRequestQueues(config: RedisSettings, logger: Logger): QueuesOnRedis {
  const redis = connectRedisForRequests(config.REDIS_URL, {
    enableOfflineQueue: true,
    commandTimeout: 2000,
  });
  redis.on("error", (error) => logger.warn({ err: error }, "redis (queues) error"));
  return queuesOn(redis, config, logger);
}

type RedisSettings = { REDIS_URL: string; REDIS_PREFIX: string };
type QueuesOnRedis = { redis: RedisClient; queues: Queues; close(): Promise<void> };

function queuesOn(redis: RedisClient, config: RedisSettings, logger: Logger): QueuesOnRedis {
  const queues = createQueues(redis, config.REDIS_PREFIX, logger);
  return {
    redis,
    queues,
    async close() {
      await queues.close();
      await closeRedis(redis);
    },
  };
}

/**
 * Adds a job through the catalogue; `delayMs` makes it run no earlier than that from now.
 * With `timeoutMs`, gives up waiting after that long (BullMQ
 * otherwise waits for Redis indefinitely); an add still in flight may land later, which is
 * harmless because job ids are deterministic.
 */
export async function enqueue<N extends JobName>(
  queues: Queues,
  name: N,
  payload: JobPayload<N>,
  options: { timeoutMs?: number; delayMs?: number } = {},
): Promise<void> {
  const job = jobCatalogue[name];
  const data = job.payload.parse(payload) as never;
  const adding = queues.get(job.queue).add(name, data, {
    ...job.options,
    jobId: job.jobId(data),
    ...(options.delayMs ? { delay: Math.max(0, Math.ceil(options.delayMs)) } : {}),
  });
  await (options.timeoutMs === undefined
    ? adding
    : withTimeout(adding, options.timeoutMs, `enqueueing ${name}`));
}

/** Adds many jobs of one name in one round trip (a fleet of tenants), each with its own id. */
export async function enqueueMany<N extends JobName>(
  queues: Queues,
  name: N,
  payloads: JobPayload<N>[],
): Promise<void> {
  const job = jobCatalogue[name];
  const jobs = payloads.map((payload) => {
    const data = job.payload.parse(payload) as never;
    return { name, data, opts: { ...job.options, jobId: job.jobId(data) } };
  });
  if (jobs.length > 0) await queues.get(job.queue).addBulk(jobs);
}

type JobsOf<Q extends QueueName> = {
  [N in JobName]: (typeof jobCatalogue)[N]["queue"] extends Q ? N : never;
}[JobName];

export type JobHandlers<Q extends QueueName> = {
  /** `token` is the job's lock, for a handler that moves its job (back to delayed, say). */
  [N in JobsOf<Q>]: (payload: JobPayload<N>, job: Job, token?: string) => Promise<unknown>;
};

/**
 * A worker for one queue. It refuses to start unless every job of that queue in the catalogue
 * has a handler, and validates each payload before its handler sees it: a job whose payload does
 * not fit (or whose name is unknown) fails at once, since no retry can mend it, and stays in the
 * failed set for an operator to see.
 */
export function createJobWorker<Q extends QueueName>(options: {
  queue: Q;
  handlers: JobHandlers<Q>;
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  logger: Logger;
  /**
   * How long a job's lock lasts without renewal (BullMQ's default is 30 s). A worker that dies
   * mid-job leaves the job locked this long; stalled jobs are looked for at the same interval.
   */
  lockDurationMs?: number;
  /** When given, each job's duration and outcome is recorded in `jobDuration`. */
  metrics?: Metrics;
  /** Delays of retries for jobs whose backoff type is not BullMQ's own; -1 gives up. */
  backoffStrategy?: BackoffStrategy;
}): Worker {
  const handlers = options.handlers as Record<
    string,
    (payload: unknown, job: Job, token?: string) => Promise<unknown>
  >;
  for (const [name, job] of Object.entries(jobCatalogue)) {
    if (job.queue === options.queue && !handlers[name])
      throw new Error(`no handler for job ${name}`);
  }
  const worker = new Worker(
    options.queue,
    async (job, token) => {
      const entry = Object.hasOwn(jobCatalogue, job.name)
        ? jobCatalogue[job.name as JobName]
        : undefined;
      const handler = entry && handlers[job.name];
      if (!entry || !handler) throw new UnrecoverableError(`unknown job ${job.name}`);
      const parsed = entry.payload.safeParse(job.data);
      // The message names the fields and what is wrong with them, never their values (a mail's
      // token, for one): failedReason is shown on the queue board.
      if (!parsed.success)
        throw new UnrecoverableError(
          `invalid payload for ${job.name}: ${parsed.error.issues
            .map((issue) => `${issue.path.join(".") || "(payload)"}: ${issue.message}`)
            .join("; ")}`,
        );
      const end = options.metrics?.jobDuration.startTimer({ queue: options.queue, job: job.name });
      try {
        const result = await handler(parsed.data, job, token);
        end?.({ outcome: "completed" });
        return result;
      } catch (error) {
        end?.({ outcome: "failed" });
        throw error;
      }
    },
    {
      connection: options.connection,
      prefix: queuePrefix(options.prefix),
      concurrency: options.concurrency,
      ...(options.backoffStrategy
        ? { settings: { backoffStrategy: options.backoffStrategy } }
        : {}),
      ...(options.lockDurationMs
        ? { lockDuration: options.lockDurationMs, stalledInterval: options.lockDurationMs }
        : {}),
    },
  );
  worker.on("failed", (job, error) =>
    options.logger.warn({ err: error, jobId: job?.id, attempt: job?.attemptsMade }, "job failed"),
  );
  worker.on("error", (error) => options.logger.error({ err: error }, "worker error"));
  return worker;
}
