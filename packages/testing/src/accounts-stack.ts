/**
 * The stack the account tests share: every service as a real process, the mailer included, on a
 * queue prefix of the file's own, delivering to a real SMTP server (smtp-receiver.ts). Call at a
 * test file's top level: it registers the file's beforeAll and afterAll.
 */
import { randomBytes } from "node:crypto";
import { connect, type Sql } from "@oryn/shared";
import { afterAll, beforeAll, expect } from "vitest";
import { serviceEnv, testRun } from "./context.ts";
import { jsonCaller } from "./http.ts";
import { type Oryn, startOryn } from "./processes.ts";
import { type SmtpReceiver, startSmtpReceiver } from "./smtp-receiver.ts";
import { testPassword } from "./wait.ts";

export const unique = () => randomBytes(4).toString("hex");

/** An answer as `[status, code]`, to compare a refusal in one line. */
export const problem = (answer: { status: number; json: { code?: string } | undefined }) => [
  answer.status,
  answer.json?.code,
];

export function accountsStack(name: string, gatewayEnv: Record<string, string> = {}) {
  let oryn: Oryn | undefined;
  let caller: ReturnType<typeof jsonCaller> | undefined;
  const stack = {
    smtp: undefined as unknown as SmtpReceiver,
    sql: undefined as unknown as Sql,
    call: ((method, path, options) => {
      if (!caller) throw new Error("the stack is not started");
      return caller(method, path, options);
    }) as ReturnType<typeof jsonCaller>,
    oryn: () => oryn as Oryn,
    /** A new tenant and its owner (unverified), by signup. */
    async signUp() {
      const id = unique();
      const email = `owner-${id}@acme.test`;
      const answer = await stack.call("POST", "/v1/signup", {
        body: {
          company: { name: `Acme ${id}`, slug: `acme-${id}` },
          owner: { email, password: testPassword, name: "Ada" },
        },
      });
      expect(answer.status).toBe(202);
      const { accessToken, refreshToken } = answer.json.tokens;
      return {
        email,
        accessToken: accessToken as string,
        refreshToken: refreshToken as string,
        tenantId: answer.json.tenant.id as string,
        userId: answer.json.user.id as string,
      };
    },
    /** A new owner who followed the verification link mailed at signup. */
    async verified() {
      const owner = await stack.signUp();
      const mail = await stack.smtp.waitForMail(owner.email);
      const answer = await stack.call("POST", "/v1/auth/verify-email", {
        body: { token: mail.token },
      });
      expect(answer.status).toBe(204);
      return owner;
    },
    me: (token: string) => stack.call("GET", "/v1/me", { token }),
  };

  beforeAll(async () => {
    const run = testRun();
    stack.smtp = await startSmtpReceiver();
    stack.sql = connect(run.controlPlaneUrl, { max: 2 });
    oryn = await startOryn(
      // A queue prefix of the file's own: its mailer must not send other files' mail.
      { ...serviceEnv(run), REDIS_PREFIX: `${run.redisPrefix}-${name}` },
      {
        mailer: { SMTP_URL: stack.smtp.url, APP_URL: "https://app.acme.test" },
        gateway: { REVOCATION_POLL_MS: "200", ...gatewayEnv },
      },
      { mailer: true },
    );
    const url = oryn.gatewayUrl;
    caller = jsonCaller((path, init) => fetch(`${url}${path}`, init));
  }, 120_000);

  afterAll(async () => {
    await oryn?.stop();
    await stack.smtp?.stop();
    await stack.sql?.end();
  });

  return stack;
}
