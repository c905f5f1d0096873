import { randomUUID } from "node:crypto";
import { createLogger, type Logger, parseConfig } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { createMailerApp } from "../src/app.ts";
import { startMailWorker } from "../src/delivery/worker.ts";
import { createMailerDeps } from "../src/deps.ts";
import { mailerEnv } from "../src/env.ts";

/**
 * The mailer in-process, wired as main.ts wires it, on a Redis prefix of its own (so each test's
 * queue is its own), with retries fast enough for a test. `producer` is what a producer holds
 * (queues and a logger) for `enqueueMail`.
 */
export function mailerInProcess(settings: Record<string, string> = {}) {
  const config = parseConfig(mailerEnv, {
    ...serviceEnv(testRun()),
    REDIS_PREFIX: `${testRun().redisPrefix}-mail-${randomUUID().slice(0, 8)}`,
    MAIL_BACKOFF_MS: "50",
    MAIL_BACKOFF_MAX_MS: "200",
    ...settings,
  });
  const logger = createLogger("mailer-test", process.env.ORYN_TEST_LOG_LEVEL ?? "silent");
  const deps = createMailerDeps(config, logger);
  const worker = startMailWorker(deps);
  const app = createMailerApp(deps);
  const queue = deps.queues.get("mail");
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await worker.close();
    await deps.close();
  };
  return {
    config,
    deps,
    app,
    queue,
    producer: { queues: deps.queues, logger } satisfies { queues: unknown; logger: Logger },
    /** A counter of /metrics (oryn_mail_<name>_total) for one template, 0 when absent. */
    async counter(name: "sent" | "failed" | "retried", template: string): Promise<number> {
      const text = await (await app.request("/metrics")).text();
      const line = text
        .split("\n")
        .find(
          (l) => l.startsWith(`oryn_mail_${name}_total{`) && l.includes(`template="${template}"`),
        );
      return line ? Number(line.split(" ").at(-1)) : 0;
    },
    /** Stops the worker and closes its clients, leaving the queue as it is (for another mailer). */
    stop,
    /** Removes the queue and stops, unless stopped already. */
    async close() {
      if (stopped) return;
      await queue.obliterate({ force: true }).catch(() => {});
      await stop();
    },
  };
}
