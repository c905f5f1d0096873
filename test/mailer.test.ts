/**
 * The mailer as a real process (node services/mailer/src/main.ts), fed through the producer API
 * (`enqueueMail`) from this process, as the gateway and the webhooks service feed it: in
 * production against a real SMTP server, and in development without one (the .eml directory).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  closeRedis,
  connectRedisForWorker,
  createLogger,
  createQueues,
  enqueueMail,
  type Queues,
  type RedisClient,
} from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { freePort, type RunningService, startService } from "@oryn/testing/processes";
import { type SmtpReceiver, startSmtpReceiver } from "@oryn/testing/smtp-receiver";
import { eventually } from "@oryn/testing/wait";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let redis: RedisClient;
const logger = createLogger("mailer-test-producer", "silent");
beforeAll(() => {
  redis = connectRedisForWorker(testRun().redisUrl);
});
afterAll(async () => {
  await closeRedis(redis);
});

/** A producer's view of a queue prefix of its own, and a mailer process working it. */
async function mailerProcess(name: string, env: Record<string, string>) {
  const prefix = `${testRun().redisPrefix}-${name}`;
  const queues: Queues = createQueues(redis, prefix, logger);
  const mailer: RunningService = await startService("mailer", await freePort(), {
    ...serviceEnv(),
    // Its info lines are what this file reads: the start-up line, the links of the .eml writer.
    LOG_LEVEL: "info",
    REDIS_PREFIX: prefix,
    ...env,
  });
  let stopped: Promise<number | null> | undefined;
  return {
    mailer,
    producer: { queues, logger },
    async metrics() {
      return (await fetch(`${mailer.url}/metrics`)).text();
    },
    stop() {
      stopped ??= (async () => {
        const code = await mailer.stop("SIGTERM");
        await queues.get("mail").obliterate({ force: true });
        await queues.close();
        return code;
      })();
      return stopped;
    },
  };
}

describe("the mailer in production", () => {
  let smtp: SmtpReceiver;
  let stack: Awaited<ReturnType<typeof mailerProcess>>;
  beforeAll(async () => {
    smtp = await startSmtpReceiver({ auth: { user: "oryn", password: "smtp secret" } });
    stack = await mailerProcess("mailer-production", {
      NODE_ENV: "production",
      SMTP_URL: smtp.url,
      MAIL_FROM: "Acme <no-reply@acme.test>",
      APP_URL: "https://app.acme.test",
      PRODUCT_NAME: "Acme",
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.stop();
  });

  it("delivers a message enqueued by a producer, with the link to the app", async () => {
    const token = "oev_9f8e7d6c5b4a3210fedcba98";
    expect(
      await enqueueMail(stack.producer, {
        template: "verify-email",
        to: "ada@example.test",
        data: { token, name: "Ada" },
        id: "signup-ada",
      }),
    ).toBe(true);
    const mail = await smtp.waitForMail("ada@example.test");
    expect(mail.subject).toBe("Confirm your email address for Acme");
    expect(mail.link).toBe(`https://app.acme.test/verify-email?token=${token}`);
    expect(mail.html).toContain("Confirm your email address");
    expect(mail.messageId).toBe("<verify-email.signup-ada@acme.test>");
    // Production logs no link: it holds the token.
    expect(stack.mailer.output()).not.toContain(token);
  });

  it("is ready when Redis and the SMTP server answer, and counts what it sent", async () => {
    const ready = await fetch(`${stack.mailer.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { redis: "ok", smtp: "ok" },
    });
    const metrics = await eventually(
      () => stack.metrics(),
      (text) => /oryn_mail_sent_total\{template="verify-email",service="mailer"\} 1\b/.test(text),
    );
    expect(metrics).toMatch(
      /oryn_queue_jobs\{queue="mail",state="completed",service="mailer"\} 1\b/,
    );
    // The start-up line names the server, never its credentials.
    expect(stack.mailer.output()).toContain(`"destination":"smtp://127.0.0.1:${smtp.port}"`);
    expect(stack.mailer.output()).not.toContain("smtp secret");
  });

  it("is not ready while the SMTP server is down", async () => {
    await smtp.down();
    try {
      const answer = await fetch(`${stack.mailer.url}/readyz`);
      expect(answer.status).toBe(503);
      expect((await answer.json()).detail).toBe("Not answering: smtp");
    } finally {
      await smtp.up();
    }
  });
});

describe("the mailer in development without SMTP_URL", () => {
  let dir: string;
  let stack: Awaited<ReturnType<typeof mailerProcess>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "oryn-mail-"));
    stack = await mailerProcess("mailer-dev", { NODE_ENV: "development", MAIL_DIR: dir });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes each message as an .eml file and logs its link", async () => {
    const token = "orp_0123456789abcdef01234567";
    await enqueueMail(stack.producer, {
      template: "reset-password",
      to: "ada@example.test",
      data: { token },
      id: "reset-7",
    });
    const [file] = await eventually(
      async () => readdirSync(dir).filter((name) => name.endsWith(".eml")),
      (files) => files.length === 1,
    );
    expect(file).toMatch(/^\d{4}-\d\d-\d\dT[\d-]+Z-reset-password-reset-7\.eml$/);
    const parsed = await simpleParser(readFileSync(join(dir, file as string)));
    expect(parsed.subject).toBe("Reset your Oryn password");
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : "").toBe("ada@example.test");
    const link = `http://localhost:8080/reset-password?token=${token}`;
    expect(parsed.text).toContain(link);
    expect(parsed.html).toContain(`href="${link}"`);
    expect(parsed.messageId).toBe("<reset-password.reset-7@localhost>");
    // The log line someone running `pnpm start` follows.
    const line = await eventually(
      async () =>
        stack.mailer
          .output()
          .split("\n")
          .find((l) => l.includes("mail written")),
      (found) => found !== undefined,
    );
    expect(JSON.parse(line as string)).toMatchObject({ template: "reset-password", link });
    // No SMTP server to check: ready with Redis alone.
    expect(await (await fetch(`${stack.mailer.url}/readyz`)).json()).toMatchObject({
      checks: { redis: "ok" },
    });
  });

  it("stops cleanly on SIGTERM", async () => {
    expect(await stack.stop()).toBe(0);
  });
});
