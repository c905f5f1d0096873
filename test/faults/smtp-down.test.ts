/**
 * Fault: the SMTP server goes down in the middle of a burst of mail, and while it is down the
 * mailer is SIGKILLed and started again. Producers keep enqueueing through `enqueueMail`
 * throughout, as the gateway's account flows and the webhooks service do (signups and resets
 * will send through here once their flows exist). Every enqueue must answer (true) at once; once
 * SMTP is back, every message is delivered, to its own recipient with its own token, and none
 * twice.
 *
 * The mailer runs as a real process on a queue prefix of this file's own; the SMTP server is
 * packages/testing/src/smtp-receiver.ts on a fixed port, closed and reopened.
 */
import { randomUUID } from "node:crypto";
import {
  closeRedis,
  connectRedisForRequests,
  createLogger,
  createQueues,
  enqueueMail,
  type Queues,
  type RedisClient,
} from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { freePort, type RunningService, startService } from "@oryn/testing/processes";
import { type SmtpReceiver, startSmtpReceiver } from "@oryn/testing/smtp-receiver";
import { eventually, within } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFault } from "./report.ts";

const burst = 240;
const prefix = `${testRun().redisPrefix}-smtpdown`;
const logger = createLogger("smtp-down-producer", "silent");
let smtp: SmtpReceiver;
let redis: RedisClient;
let queues: Queues;
let mailerPort: number;
let mailerEnv: Record<string, string>;
/** The mailer process alive now: the first, then its replacement. */
let mailer: RunningService | undefined;

beforeAll(async () => {
  smtp = await startSmtpReceiver({ port: await freePort() });
  // The gateway's queue connection: offline queue on, bounded command time.
  redis = connectRedisForRequests(testRun().redisUrl, {
    enableOfflineQueue: true,
    commandTimeout: 2000,
  });
  queues = createQueues(redis, prefix);
  mailerPort = await freePort();
  mailerEnv = {
    ...serviceEnv(),
    REDIS_PREFIX: prefix,
    SMTP_URL: smtp.url,
    MAIL_CONCURRENCY: "10",
    // Tries every 0.2 s doubling to 2 s: many retries during the outage, a quick recovery.
    MAIL_BACKOFF_MS: "200",
    MAIL_BACKOFF_MAX_MS: "2000",
    // Messages the killed mailer held are taken over after this (BullMQ's default is 30 s).
    MAIL_JOB_LOCK_SECONDS: "2",
  };
  mailer = await startService("mailer", mailerPort, mailerEnv);
}, 60_000);

afterAll(async () => {
  await mailer?.stop();
  await queues?.get("mail").obliterate({ force: true });
  await queues?.close();
  if (redis) await closeRedis(redis);
  await smtp?.stop();
});

/** The templates a token is mailed with, in turn. */
const templates = ["verify-email", "reset-password", "email-change-confirm"] as const;
type TokenTemplate = (typeof templates)[number];

describe("SMTP down during a burst of mail, the mailer killed meanwhile", () => {
  it("delivers every message once SMTP is back, each to its recipient, none twice", async () => {
    /** What each recipient must receive: one message, with this token. */
    const expected = new Map<string, { token: string; template: TokenTemplate }>();
    let refused = 0;
    const send = async (n: number) => {
      const to = `user${n}@burst.test`;
      const token = `tok_${randomUUID().replaceAll("-", "")}`;
      const template = templates[n % templates.length] as TokenTemplate;
      expected.set(to, { token, template });
      // Bounded: a producer's answer must not wait for SMTP or the mailer.
      const queued = await within(
        enqueueMail({ queues, logger }, { template, to, data: { token }, id: `burst-${n}` }),
        5_000,
      );
      if (!queued) refused++;
    };
    const sendRange = async (from: number, to: number) => {
      for (let n = from; n < to; n += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, to - n) }, (_, offset) => send(n + offset)),
        );
      }
    };

    // A third of the burst with SMTP up: some of it is delivered, some in flight.
    const first = sendRange(0, burst / 3);
    await eventually(
      async () => smtp.messages.length,
      (delivered) => delivered >= 20,
    );
    await smtp.down();
    const downAt = smtp.messages.length;
    await first;
    // The second third while SMTP is down: every try fails, and is retried.
    await sendRange(burst / 3, (2 * burst) / 3);
    // The mailer dies holding messages it was trying; the last third is enqueued with no mailer.
    const beforeKill = await queues.get("mail").getJobCounts("active", "delayed");
    await mailer?.stop("SIGKILL");
    await sendRange((2 * burst) / 3, burst);
    mailer = await startService("mailer", mailerPort, mailerEnv);
    // Retries spin against the closed port for a while.
    const retried = await eventually(
      async () => retriedCount(await metricsText()),
      (count) => count >= burst / 3,
      { timeoutMs: 30_000 },
    );
    expect(smtp.messages.length, "nothing arrives while SMTP is down").toBe(downAt);

    await smtp.up();
    await eventually(
      async () => smtp.messages.length,
      (delivered) => delivered >= burst,
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    const counts = await eventually(
      () => queues.get("mail").getJobCounts("completed", "failed", "delayed", "waiting", "active"),
      (c) => c.completed === burst,
      { timeoutMs: 30_000 },
    );
    // Anything sent twice would have arrived by now: every job is completed.
    const byRecipient = new Map<string, number>();
    let misdelivered = 0;
    for (const mail of smtp.messages) {
      for (const to of mail.envelopeTo) {
        byRecipient.set(to, (byRecipient.get(to) ?? 0) + 1);
        if (mail.token !== expected.get(to)?.token) misdelivered++;
      }
    }
    const missing = [...expected.keys()].filter((to) => !byRecipient.has(to));
    const twice = [...byRecipient].filter(([, count]) => count > 1).map(([to]) => to);
    const messageIds = new Set(smtp.messages.map((mail) => mail.messageId));

    expect(refused, "every enqueue answered true").toBe(0);
    expect(missing, "messages lost").toEqual([]);
    expect(twice, "messages delivered twice").toEqual([]);
    expect(misdelivered, "a message with another recipient's token").toBe(0);
    expect(messageIds.size).toBe(burst);
    expect(smtp.messages).toHaveLength(burst);
    expect(counts).toMatchObject({
      completed: burst,
      failed: 0,
      delayed: 0,
      waiting: 0,
      active: 0,
    });

    recordFault({
      fault: `SMTP down, and the mailer SIGKILLed, during a burst of ${burst} mails`,
      provoked: 2,
      requests: burst,
      clientErrors: refused,
      dataLost: missing.length,
      crossTenantLeaks: misdelivered,
      detail: {
        deliveredBeforeOutage: downAt,
        heldByTheKilledMailer: beforeKill.active,
        waitingForRetryAtKill: beforeKill.delayed,
        retriesSeenByTheNewMailer: retried,
        deliveredTwice: twice.length,
      },
    });
  });
});

async function metricsText(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${mailerPort}/metrics`)).text();
}

function retriedCount(text: string): number {
  return text
    .split("\n")
    .filter((line) => line.startsWith("oryn_mail_retried_total{"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}
