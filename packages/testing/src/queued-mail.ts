/**
 * Mail the gateway queued, read back from the `mail` queue in Redis, for tests that run no mailer
 * (the in-process gateway, `startOryn` without `mailer: true`): the message a user would have
 * received, token and all, as the mailer would take it. Tests of delivery itself use a real
 * mailer and packages/testing/src/smtp-receiver.ts instead.
 *
 *   const mail = await queuedMail(testRun(), { template: "verify-email", to: "ada@acme.test" });
 *   await call("POST", "/v1/auth/verify-email", { body: { token: mail.data.token } });
 */
import {
  closeRedis,
  connectRedisForWorker,
  createLogger,
  createQueues,
  type MailMessage,
  type MailTemplate,
} from "@oryn/shared";
import type { TestRun } from "./context.ts";
import { eventually } from "./wait.ts";

type Queued<T extends MailTemplate> = Extract<MailMessage, { template: T }> & { queuedAt: number };

/** Every message of `template` queued for `to` on the run's prefix (or `prefix`), oldest first. */
export async function queuedMails<T extends MailTemplate>(
  run: TestRun,
  filter: { template: T; to: string; idPrefix?: string },
  prefix: string = run.redisPrefix,
): Promise<Queued<T>[]> {
  const redis = connectRedisForWorker(run.redisUrl);
  const queues = createQueues(redis, prefix, createLogger("queued-mail", "silent"));
  try {
    const jobs = await queues
      .get("mail")
      .getJobs(["waiting", "prioritized", "delayed", "active", "completed", "failed"]);
    return jobs
      .filter(
        (job) =>
          job.data?.template === filter.template &&
          job.data?.to === filter.to &&
          String(job.data?.id).startsWith(filter.idPrefix ?? ""),
      )
      .sort((a, b) => a.timestamp - b.timestamp)
      .map((job) => ({
        ...(job.data as Extract<MailMessage, { template: T }>),
        queuedAt: job.timestamp,
      }));
  } finally {
    await queues.close();
    await closeRedis(redis);
  }
}

/**
 * The `count`th message (1 by default) of `template` queued for `to`, waiting for it: some flows
 * (a forgotten password) queue after they have answered.
 */
export async function queuedMail<T extends MailTemplate>(
  run: TestRun,
  filter: { template: T; to: string; idPrefix?: string; count?: number },
  prefix?: string,
): Promise<Queued<T>> {
  const count = filter.count ?? 1;
  const mails = await eventually(
    () => queuedMails(run, filter, prefix),
    (found) => found.length >= count,
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  return mails[count - 1] as Queued<T>;
}

/** Verifies `email` through the gateway with the link queued for it at signup. */
export async function verifyQueuedEmail(
  run: TestRun,
  call: (
    method: string,
    path: string,
    options: { body?: unknown },
  ) => Promise<{ status: number; json: unknown }>,
  email: string,
): Promise<void> {
  const mail = await queuedMail(run, { template: "verify-email", to: email });
  const answer = await call("POST", "/v1/auth/verify-email", { body: { token: mail.data.token } });
  if (answer.status !== 204) {
    throw new Error(`verifying ${email} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
  }
}

/** The token mailed for an invitation (the latest sending), from the invitation as answered. */
export async function invitationToken(
  run: TestRun,
  invitation: { json: { id: string; email: string } },
  count = 1,
): Promise<string> {
  const mail = await queuedMail(run, {
    template: "invitation",
    to: invitation.json.email,
    idPrefix: `${invitation.json.id}-`,
    count,
  });
  return mail.data.token;
}
