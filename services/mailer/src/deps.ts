import {
  connectWorkerQueues,
  createMetrics,
  type Logger,
  type Metrics,
  type Queues,
  type RedisClient,
} from "@oryn/shared";
import type { MailSettings } from "./delivery/deliver-mail.ts";
import { directoryTransport, type MailTransport, smtpTransport } from "./delivery/transport.ts";
import { createMailCounters, type MailCounters } from "./delivery/worker.ts";
import { type MailerConfig, mailSettings } from "./env.ts";

/**
 * What the mailer holds: Redis (its queue), the SMTP credentials, and no database at all. Only
 * this process can send mail; the gateway and the webhooks service only enqueue.
 */
export type MailerDeps = {
  config: MailerConfig;
  logger: Logger;
  metrics: Metrics;
  counters: MailCounters;
  redis: RedisClient;
  queues: Queues;
  transport: MailTransport;
  settings: MailSettings;
  close(): Promise<void>;
};

export function createMailerDeps(config: MailerConfig, logger: Logger): MailerDeps {
  const metrics = createMetrics("mailer");
  const { redis, queues, close: closeQueues } = connectWorkerQueues(config, logger);
  // The env schema refuses production without SMTP_URL, so the directory is development's only.
  const transport = config.SMTP_URL
    ? smtpTransport({ url: config.SMTP_URL, connections: config.MAIL_CONCURRENCY })
    : directoryTransport({ dir: config.MAIL_DIR, logger });
  return {
    config,
    logger,
    metrics,
    counters: createMailCounters(metrics),
    redis,
    queues,
    transport,
    settings: mailSettings(config),
    async close() {
      transport.close();
      await closeQueues();
    },
  };
}
