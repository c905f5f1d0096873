import { createJobWorker } from "@oryn/shared";
import type { WebhooksDeps } from "../deps.ts";
import { deliverOnce } from "./deliver.ts";

/** The `webhooks` queue's worker: one attempt per job, WEBHOOKS_CONCURRENCY at once. */
export function startDeliveryWorker(deps: WebhooksDeps) {
  return createJobWorker({
    queue: "webhooks",
    connection: deps.redis,
    prefix: deps.config.REDIS_PREFIX,
    concurrency: deps.config.WEBHOOKS_CONCURRENCY,
    lockDurationMs: deps.config.WEBHOOKS_JOB_LOCK_SECONDS * 1000,
    logger: deps.logger,
    metrics: deps.metrics,
    handlers: {
      "webhooks.deliver": (payload, job, token) => deliverOnce(deps, payload, job, token),
    },
  });
}
