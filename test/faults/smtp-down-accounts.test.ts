/**
 * Fault: SMTP is down during a burst of signups and password resets through the gateway, the
 * account flows that mail (smtp-down.test.ts does the same with the producer API alone). Every
 * request must answer at once as if nothing were wrong; once SMTP is back, every address gets
 * its verification link and its reset link, each once, each with a token that works.
 */
import { randomBytes } from "node:crypto";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { freePort, type Oryn, startOryn } from "@oryn/testing/processes";
import { type SmtpReceiver, startSmtpReceiver } from "@oryn/testing/smtp-receiver";
import { eventually, testPassword, within } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFault } from "./report.ts";

const people = 30;
let smtp: SmtpReceiver;
let oryn: Oryn;
let call: ReturnType<typeof jsonCaller>;

beforeAll(async () => {
  const run = testRun();
  // A port below the ephemeral range: nothing else takes it while the receiver is down.
  smtp = await startSmtpReceiver({ port: await freePort() });
  oryn = await startOryn(
    { ...serviceEnv(run), REDIS_PREFIX: `${run.redisPrefix}-smtpdown-accounts` },
    {
      mailer: {
        SMTP_URL: smtp.url,
        MAIL_CONCURRENCY: "10",
        MAIL_BACKOFF_MS: "200",
        MAIL_BACKOFF_MAX_MS: "2000",
      },
      gateway: { PASSWORD_RESET_PER_IP_PER_HOUR: "1000" },
    },
    { mailer: true },
  );
  const url = oryn.gatewayUrl;
  call = jsonCaller((path, init) => fetch(`${url}${path}`, init));
}, 120_000);

afterAll(async () => {
  await oryn?.stop();
  await smtp?.stop();
});

describe("SMTP down during a burst of signups and password resets", () => {
  it("answers every request, then delivers every message once SMTP is back, none twice", async () => {
    await smtp.down();
    const run = randomBytes(3).toString("hex");
    const emails = Array.from({ length: people }, (_, n) => `p${n}-${run}@burst.test`);
    const statuses: number[] = [];
    // Signups, then a reset for each, ten at a time; each answer bounded (no wall-clock
    // assertion: `within` only keeps a hung request from hanging the suite).
    for (let n = 0; n < people; n += 10) {
      const batch = emails.slice(n, n + 10);
      const answers = await Promise.all(
        batch.map((email, offset) =>
          within(
            call("POST", "/v1/signup", {
              body: {
                company: { name: `Burst ${n + offset}`, slug: `burst-${run}-${n + offset}` },
                owner: { email, password: testPassword, name: "Burst" },
              },
            }),
            30_000,
          ),
        ),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    for (let n = 0; n < people; n += 10) {
      const answers = await Promise.all(
        emails
          .slice(n, n + 10)
          .map((email) =>
            within(call("POST", "/v1/auth/password/forgot", { body: { email } }), 30_000),
          ),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses.filter((status) => status !== 202)).toEqual([]);
    expect(smtp.messages).toHaveLength(0);

    await smtp.up();
    await eventually(
      async () => smtp.messages.length,
      (delivered) => delivered >= 2 * people,
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    // Anything sent twice would arrive with the rest: wait for the queue to be empty.
    const completed = new RegExp(
      `oryn_queue_jobs\\{queue="mail",state="completed",service="mailer"\\} ${2 * people}\\b`,
    );
    await eventually(
      async () => (await fetch(`${oryn.services.mailer?.url}/metrics`)).text(),
      (text) => completed.test(text),
      { timeoutMs: 30_000 },
    );
    const twice: string[] = [];
    const missing: string[] = [];
    for (const email of emails) {
      const received = smtp.messagesTo(email);
      const links = received.map((mail) => new URL(mail.link ?? "http://x/none").pathname).sort();
      if (received.length > 2) twice.push(email);
      if (links.join() !== "/reset-password,/verify-email") missing.push(email);
    }
    expect(missing, "messages lost").toEqual([]);
    expect(twice, "messages delivered twice").toEqual([]);
    expect(smtp.messages).toHaveLength(2 * people);

    // The links work: the first person verifies and resets with what they received.
    const [first] = emails;
    const mails = smtp.messagesTo(first as string);
    const verify = mails.find((mail) => mail.link?.includes("/verify-email"));
    const reset = mails.find((mail) => mail.link?.includes("/reset-password"));
    expect(
      (await call("POST", "/v1/auth/verify-email", { body: { token: verify?.token } })).status,
    ).toBe(204);
    expect(
      (
        await call("POST", "/v1/auth/password/reset", {
          body: { token: reset?.token, password: "reset after the outage" },
        })
      ).status,
    ).toBe(204);

    recordFault({
      fault: `SMTP down during ${people} signups and ${people} password resets through the gateway`,
      provoked: 1,
      requests: 2 * people,
      clientErrors: statuses.filter((status) => status !== 202).length,
      dataLost: missing.length,
      crossTenantLeaks: 0,
      detail: { deliveredTwice: twice.length, delivered: smtp.messages.length },
    });
  });
});
