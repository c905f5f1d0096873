import { randomBytes } from "node:crypto";
import {
  closeRedis,
  connectRedisForWorker,
  createJobWorker,
  createLogger,
  createQueues,
  enqueueMail,
  queueNames,
  UnrecoverableError,
} from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { freePort, type RunningService, startService } from "@oryn/testing/processes";
import { eventually } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const token = randomBytes(24).toString("base64url");
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

// Queues of this file's own: its mail worker fails every message it takes and the test then
// empties the queue, which on the run's shared queues would take other files' mail.
const redisPrefix = `${testRun().redisPrefix}-board`;

describe("Bull Board on the provisioner's internal port", () => {
  let provisioner: RunningService;
  beforeAll(async () => {
    provisioner = await startService("provisioner", await freePort(), {
      ...serviceEnv(testRun()),
      REDIS_PREFIX: redisPrefix,
      OPERATOR_TOKEN: token,
    });
  }, 60_000);
  afterAll(() => provisioner?.stop());

  it("asks for the operator token and refuses a wrong one", async () => {
    const none = await fetch(`${provisioner.url}/admin/queues`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm="Oryn operators"/);
    const wrong = await fetch(`${provisioner.url}/admin/queues/api/queues`, {
      headers: { authorization: basic("operator", `${token}x`) },
    });
    expect(wrong.status).toBe(401);
  });

  it("shows every queue of the catalogue to an operator", async () => {
    const page = await fetch(`${provisioner.url}/admin/queues`, {
      headers: { authorization: basic("operator", token) },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Oryn queues");
    const api = await fetch(`${provisioner.url}/admin/queues/api/queues`, {
      headers: { authorization: basic("operator", token) },
    });
    expect(api.status).toBe(200);
    const { queues } = await api.json();
    expect(queues.map((queue: { name: string }) => queue.name).sort()).toEqual(
      [...queueNames].sort(),
    );
    expect(queueNames).toEqual(
      expect.arrayContaining(["provisioning", "billing", "tenant-lifecycle", "mail"]),
    );
  });

  it("shows a mail that failed for good, with its reason", async () => {
    const { redisUrl } = testRun();
    const redis = connectRedisForWorker(redisUrl);
    const queues = createQueues(redis, redisPrefix);
    const logger = createLogger("queue-board-test", "silent");
    // What the mailer does with a message its SMTP server refuses for good.
    const worker = createJobWorker({
      queue: "mail",
      connection: redis,
      prefix: redisPrefix,
      concurrency: 1,
      logger,
      handlers: {
        "mail.send": async () => {
          throw new UnrecoverableError("550 No such user here");
        },
      },
    });
    try {
      await enqueueMail(
        { queues, logger },
        { template: "password-changed-notice", to: "nobody@example.test", data: {}, id: "board" },
      );
      const failed = async () => {
        const answer = await fetch(
          `${provisioner.url}/admin/queues/api/queues?activeQueue=mail&status=failed`,
          { headers: { authorization: basic("operator", token) } },
        );
        const { queues: shown } = await answer.json();
        return shown.find((queue: { name: string }) => queue.name === "mail") as {
          jobs: { id: string; failedReason: string }[];
        };
      };
      const mail = await eventually(failed, (queue) => queue.jobs.length === 1);
      expect(mail.jobs[0]).toMatchObject({
        id: "mail-password-changed-notice-board",
        failedReason: "550 No such user here",
      });
    } finally {
      await worker.close();
      await queues.get("mail").obliterate({ force: true });
      await queues.close();
      await closeRedis(redis);
    }
  });

  it("refuses to start in production without an operator token", async () => {
    const { spawnService } = await import("@oryn/testing/processes");
    const { child, output } = spawnService("provisioner", {
      ...serviceEnv(testRun()),
      NODE_ENV: "production",
      PORT: String(await freePort()),
      TENANT_DB_PASSWORD_SECRET: randomBytes(32).toString("hex"),
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).not.toBe(0);
    expect(output()).toMatch(/OPERATOR_TOKEN: required in production/);
  }, 30_000);
});
