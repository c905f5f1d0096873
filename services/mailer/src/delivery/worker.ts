import {
  Counter,
  createJobWorker,
  type MailTemplate,
  type Metrics,
  mailTemplateNames,
} from "@oryn/shared";
import type { MailerDeps } from "../deps.ts";
import { mailBackoff } from "./backoff.ts";
import { deliverMail } from "./deliver-mail.ts";

export type MailCounters = ReturnType<typeof createMailCounters>;

/** sent, failed (for good) and retried messages, by template, on /metrics. */
export function createMailCounters(metrics: Metrics) {
  const counter = (name: string, help: string) =>
    new Counter({
      name,
      help,
      labelNames: ["template"] as const,
      registers: [metrics.registry],
    });
  return {
    sent: counter(
      "oryn_mail_sent_total",
      "Messages handed to the SMTP server (or the mail directory)",
    ),
    failed: counter(
      "oryn_mail_failed_total",
      "Messages failed for good (attempts spent, refused, or an invalid job): in the failed set",
    ),
    retried: counter(
      "oryn_mail_retried_total",
      "Failed tries of messages that will be tried again",
    ),
  };
}

/**
 * The `mail` queue's worker: renders and sends each `mail.send` job. A failed try is retried
 * after `mailBackoff`'s delay until MAIL_ATTEMPTS are spent; the job then stays in the failed
 * set (visible on the provisioner's queue board, where an operator can retry it) and is logged
 * as an error. A job with an invalid payload is refused at once by `createJobWorker`.
 */
export function startMailWorker(deps: MailerDeps) {
  const { config, counters, logger } = deps;
  const worker = createJobWorker({
    queue: "mail",
    connection: deps.redis,
    prefix: config.REDIS_PREFIX,
    concurrency: config.MAIL_CONCURRENCY,
    lockDurationMs: config.MAIL_JOB_LOCK_SECONDS * 1000,
    logger,
    metrics: deps.metrics,
    backoffStrategy: mailBackoff({
      attempts: config.MAIL_ATTEMPTS,
      firstDelayMs: config.MAIL_BACKOFF_MS,
      maxDelayMs: config.MAIL_BACKOFF_MAX_MS,
    }),
    handlers: {
      "mail.send": (message, job) => deliverMail(deps, message, new Date(job.timestamp)),
    },
  });
  worker.on("completed", (job) => counters.sent.inc({ template: templateOf(job.data) }));
  worker.on("failed", (job, error) => {
    const template = templateOf(job?.data);
    // BullMQ sets finishedOn only when the job leaves for the failed set, not on a retry.
    if (job?.finishedOn) {
      counters.failed.inc({ template });
      logger.error(
        { err: error, jobId: job.id, template, attempts: job.attemptsMade },
        "mail failed for good: it stays in the failed set",
      );
    } else {
      counters.retried.inc({ template });
    }
  });
  return worker;
}

/** The template label of a job's data, which may be anything if the job is invalid. */
function templateOf(data: unknown): MailTemplate | "invalid" {
  const template = (data as { template?: unknown } | undefined)?.template;
  return mailTemplateNames.includes(template as MailTemplate)
    ? (template as MailTemplate)
    : "invalid";
}
