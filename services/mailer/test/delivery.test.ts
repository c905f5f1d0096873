/**
 * The mailer's worker against a real SMTP server (packages/testing/src/smtp-receiver.ts) and real Redis:
 * a job becomes one delivered message; SMTP down, then up, loses nothing and sends nothing twice;
 * logins; refusals for good and for now; invalid jobs refused at once.
 */
import {
  connectRedisForRequests,
  createLogger,
  createQueues,
  enqueueMail,
  jobCatalogue,
} from "@oryn/shared";
import { freePort } from "@oryn/testing/processes";
import { startSmtpReceiver } from "@oryn/testing/smtp-receiver";
import { eventually, within } from "@oryn/testing/wait";
import { afterEach, describe, expect, it } from "vitest";
import { mailerInProcess } from "./fixtures.ts";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(options: Parameters<typeof startSmtpReceiver>[0] = {}) {
  const smtp = await startSmtpReceiver(options);
  cleanups.push(() => smtp.stop());
  return smtp;
}

function mailer(settings: Record<string, string>) {
  const started = mailerInProcess(settings);
  cleanups.push(() => started.close());
  return started;
}

const token = () => `ort_${crypto.randomUUID().replaceAll("-", "")}`;

/** The job's state, then the job: read the other way, the job could predate its state. */
async function jobState(m: ReturnType<typeof mailer>, jobId: string) {
  const state = await m.queue.getJobState(jobId);
  const job = await m.queue.getJob(jobId);
  return { state, attemptsMade: job?.attemptsMade, reason: job?.failedReason };
}

/** Waits for a counter of /metrics to reach `value` (the worker counts on its job events). */
function counterReaches(
  m: ReturnType<typeof mailer>,
  name: "sent" | "failed" | "retried",
  template: string,
  value: number,
) {
  return eventually(
    () => m.counter(name, template),
    (current) => current === value,
  );
}

describe("a mail.send job", () => {
  it("becomes one delivered message: text and HTML parts, the link in the text, headers", async () => {
    const smtp = await receiver();
    const m = mailer({
      SMTP_URL: smtp.url,
      MAIL_FROM: "Acme Cloud <no-reply@acme.test>",
      APP_URL: "https://app.acme.test/console/",
      PRODUCT_NAME: "Acme Cloud",
    });
    const resetToken = token();
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    // Date headers have whole seconds.
    const before = Math.floor(Date.now() / 1000) * 1000;
    const queued = await enqueueMail(m.producer, {
      template: "reset-password",
      to: "Ada@Example.test",
      data: { token: resetToken, name: "Ada", expiresAt },
      id: "reset-1",
    });
    expect(queued).toBe(true);

    const mail = await smtp.waitForMail("ada@example.test");
    // nodemailer writes the domain in lower case (it is case-insensitive).
    expect(mail.envelopeTo).toEqual(["Ada@example.test"]);
    expect(mail.envelopeFrom).toBe("no-reply@acme.test");
    expect(mail.subject).toBe("Reset your Acme Cloud password");
    // The link a user would click: under APP_URL (its path kept), with the token in the query.
    expect(mail.link).toBe(`https://app.acme.test/console/reset-password?token=${resetToken}`);
    expect(mail.token).toBe(resetToken);
    expect(mail.text).toContain("Hello Ada,");
    expect(mail.html).toContain(
      `href="https://app.acme.test/console/reset-password?token=${resetToken}"`,
    );
    expect(mail.messageId).toBe("<reset-password.reset-1@acme.test>");
    // The Date header is when the message was asked for.
    expect(mail.date?.getTime()).toBeGreaterThanOrEqual(before);
    expect(mail.date?.getTime()).toBeLessThanOrEqual(Date.now());
    expect(mail.headers.get("auto-submitted")).toBe("auto-generated");
    expect(mail.raw.toString()).toMatch(/^Content-Type: multipart\/alternative;/im);

    await eventually(
      () => jobState(m, "mail-reset-password-reset-1"),
      (job) => job.state === "completed",
    );
    await counterReaches(m, "sent", "reset-password", 1);
    expect(smtp.messages).toHaveLength(1);
  });

  it("is sent once when a producer enqueues it twice with one id", async () => {
    const smtp = await receiver();
    const m = mailer({ SMTP_URL: smtp.url });
    const request = {
      template: "verify-email" as const,
      to: "grace@example.test",
      data: { token: token() },
      id: "verification-42",
    };
    expect(await enqueueMail(m.producer, request)).toBe(true);
    expect(await enqueueMail(m.producer, request)).toBe(true);
    await smtp.waitForMail("grace@example.test");
    await eventually(
      () => jobState(m, "mail-verify-email-verification-42"),
      (job) => job.state === "completed",
    );
    // After delivery too: the completed job is kept for an hour and stops a late duplicate.
    expect(await enqueueMail(m.producer, request)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.messagesTo("grace@example.test")).toHaveLength(1);
    // Without an id, two requests are two messages.
    const { id: _, ...withoutId } = request;
    await enqueueMail(m.producer, withoutId);
    await enqueueMail(m.producer, withoutId);
    await smtp.waitForMail("grace@example.test");
    await smtp.waitForMail("grace@example.test");
  });

  it("is refused at once, and kept in the failed set, when its payload does not fit", async () => {
    const smtp = await receiver();
    const m = mailer({ SMTP_URL: smtp.url });
    const { options } = jobCatalogue["mail.send"];
    // Not through enqueueMail, which would refuse it: a producer of another version, say.
    await m.queue.add(
      "mail.send",
      { id: "bad-1", template: "reset-password", to: "not-an-address", data: { token: "short" } },
      { ...options, jobId: "mail-bad-1" },
    );
    await m.queue.add(
      "mail.send",
      { id: "bad-2", template: "no-such-template", to: "a@example.test", data: {} },
      { ...options, jobId: "mail-bad-2" },
    );
    const bad = await eventually(
      () => jobState(m, "mail-bad-1"),
      (job) => job.state === "failed",
    );
    expect(bad.attemptsMade).toBe(1);
    expect(bad.reason).toMatch(/^invalid payload for mail\.send: /);
    expect(bad.reason).toMatch(/to: /);
    // It names what is wrong, never the values (a real job's data holds a token).
    expect(bad.reason).not.toContain("not-an-address");
    const unknown = await eventually(
      () => jobState(m, "mail-bad-2"),
      (job) => job.state === "failed",
    );
    expect(unknown.attemptsMade).toBe(1);
    await counterReaches(m, "failed", "reset-password", 1);
    await counterReaches(m, "failed", "invalid", 1);
    expect(await m.counter("retried", "reset-password")).toBe(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it("fails at once when the server refuses the recipient for good, and retries a refusal for now", async () => {
    let busy = 2;
    const smtp = await receiver({
      refuseRecipient: (address) => {
        if (address.startsWith("nobody@")) return { code: 550, message: "No such user here" };
        if (address.startsWith("busy@") && busy-- > 0)
          return { code: 450, message: "Mailbox busy, try later" };
        return undefined;
      },
    });
    const m = mailer({ SMTP_URL: smtp.url });
    await enqueueMail(m.producer, {
      template: "password-changed-notice",
      to: "nobody@example.test",
      data: {},
      id: "refused",
    });
    await enqueueMail(m.producer, {
      template: "password-changed-notice",
      to: "busy@example.test",
      data: {},
      id: "deferred",
    });
    const refused = await eventually(
      () => jobState(m, "mail-password-changed-notice-refused"),
      (job) => job.state === "failed",
    );
    expect(refused.attemptsMade).toBe(1);
    expect(refused.reason).toMatch(/550/);
    const busyMail = await smtp.waitForMail("busy@example.test");
    expect(busyMail.subject).toBe("Your Oryn password was changed");
    await counterReaches(m, "failed", "password-changed-notice", 1);
    await counterReaches(m, "retried", "password-changed-notice", 2);
    await counterReaches(m, "sent", "password-changed-notice", 1);
  });
});

describe("SMTP down", () => {
  it("then up: every message arrives, once", async () => {
    // A port below the ephemeral range: nothing else takes it while the server is down.
    const smtp = await receiver({ port: await freePort() });
    await smtp.down();
    const m = mailer({ SMTP_URL: smtp.url });
    const tokens = new Map<string, string>();
    for (let n = 0; n < 5; n++) {
      const to = `user${n}@example.test`;
      tokens.set(to, token());
      const queued = await enqueueMail(m.producer, {
        template: "verify-email",
        to,
        data: { token: tokens.get(to) as string },
        id: `verify-${n}`,
      });
      expect(queued).toBe(true);
    }
    // Every message has failed at least twice against the closed port.
    await eventually(
      () => m.counter("retried", "verify-email"),
      (retried) => retried >= 10,
    );
    expect(await m.counter("failed", "verify-email")).toBe(0);

    await smtp.up();
    for (const [to, expected] of tokens) {
      expect((await smtp.waitForMail(to)).token).toBe(expected);
    }
    const counts = await eventually(
      () => m.queue.getJobCounts("completed", "failed", "delayed", "waiting", "active"),
      (c) => c.completed === 5,
    );
    expect(counts).toMatchObject({ completed: 5, failed: 0, delayed: 0, waiting: 0, active: 0 });
    expect(smtp.messages).toHaveLength(5);
    await counterReaches(m, "sent", "verify-email", 5);
  });

  it("past its attempts: the message stays in the failed set", async () => {
    const smtp = await receiver({ port: await freePort() });
    await smtp.down();
    const m = mailer({ SMTP_URL: smtp.url, MAIL_ATTEMPTS: "3" });
    await enqueueMail(m.producer, {
      template: "mfa-changed-notice",
      to: "ada@example.test",
      data: { change: "enabled" },
      id: "mfa-1",
    });
    const failed = await eventually(
      () => jobState(m, "mail-mfa-changed-notice-mfa-1"),
      (job) => job.state === "failed",
    );
    expect(failed.attemptsMade).toBe(3);
    expect(failed.reason).toMatch(/ECONNREFUSED|connect/i);
    await counterReaches(m, "retried", "mfa-changed-notice", 2);
    await counterReaches(m, "failed", "mfa-changed-notice", 1);
    // An operator retries it from the queue board once SMTP is back: it is delivered.
    await smtp.up();
    await (await m.queue.getJob("mail-mfa-changed-notice-mfa-1"))?.retry();
    const mail = await smtp.waitForMail("ada@example.test");
    expect(mail.subject).toBe("Two-factor authentication is on for your Oryn account");
  });
});

describe("SMTP login", () => {
  const auth = { user: "mailer@acme.test", password: "p@ss:w/rd with spaces%" };

  it("logs in with the user and password of SMTP_URL (percent-encoded)", async () => {
    const smtp = await receiver({ auth });
    expect(smtp.url).toContain("mailer%40acme.test:p%40ss%3Aw%2Frd%20with%20spaces%25@");
    const m = mailer({ SMTP_URL: smtp.url });
    expect((await m.app.request("/readyz")).status).toBe(200);
    await enqueueMail(m.producer, {
      template: "email-changed-notice",
      to: "old@example.test",
      data: { newEmail: "new@example.test" },
    });
    const mail = await smtp.waitForMail("old@example.test");
    expect(mail.text).toContain("new@example.test");
  });

  it("keeps retrying with a wrong password, and a mailer started with the right one delivers", async () => {
    const smtp = await receiver({ auth });
    const wrong = smtp.url.replace(encodeURIComponent(auth.password), "wrong");
    const first = mailer({ SMTP_URL: wrong });
    // Readiness says the login fails.
    expect((await first.app.request("/readyz")).status).toBe(503);
    await enqueueMail(first.producer, {
      template: "verify-email",
      to: "ada@example.test",
      data: { token: token() },
      id: "login",
    });
    await eventually(
      () => first.counter("retried", "verify-email"),
      (retried) => retried >= 2,
    );
    expect(await first.counter("failed", "verify-email")).toBe(0);
    // The operator fixes SMTP_URL and restarts: the same queue, a mailer that can log in.
    await first.stop();
    const second = mailer({ SMTP_URL: smtp.url, REDIS_PREFIX: first.config.REDIS_PREFIX });
    await smtp.waitForMail("ada@example.test");
    await eventually(
      () => second.counter("sent", "verify-email"),
      (sent) => sent === 1,
    );
    expect(smtp.messages).toHaveLength(1);
  });
});

describe("enqueueMail", () => {
  it("answers false within its time-out, without throwing, when Redis is away", async () => {
    // The gateway's queue connection: commands wait for a reconnect rather than failing fast.
    const redis = connectRedisForRequests(`redis://127.0.0.1:${await freePort()}`, {
      enableOfflineQueue: true,
      commandTimeout: 2000,
    });
    redis.on("error", () => {});
    const queues = createQueues(redis, "unreachable");
    cleanups.push(async () => {
      await queues.close().catch(() => {});
      redis.disconnect();
    });
    const logger = createLogger("producer-test", "silent");
    // A hang fails here: the answer comes after the time-out, not after Redis returns.
    const queued = await within(
      enqueueMail(
        { queues, logger },
        { template: "reset-password", to: "ada@example.test", data: { token: token() } },
        { timeoutMs: 300 },
      ),
      10_000,
    );
    expect(queued).toBe(false);
  });

  it("throws on a request that does not fit its template: a bug of the caller", async () => {
    const m = mailer({});
    // As a caller's bug would leave it: the role is missing.
    const withoutRole = {
      template: "invitation",
      to: "grace@example.test",
      data: { token: token(), inviterName: "Ada", tenantName: "Acme" },
    } as unknown as Parameters<typeof enqueueMail>[1];
    await expect(enqueueMail(m.producer, withoutRole)).rejects.toThrow(/role/);
    await expect(
      enqueueMail(m.producer, {
        template: "verify-email",
        to: "grace@example.test",
        data: { token: "a token with spaces in it" },
      }),
    ).rejects.toThrow(/token/);
    expect(await m.queue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
  });
});
