import { serviceEnv, type TestRun } from "./context.ts";
import { type Oryn, startOryn } from "./processes.ts";

/**
 * Settings under which the webhooks service delivers to a receiver on this machine at once and
 * retries within a second or so rather than minutes to hours: the schedule's shape, shrunk.
 */
export const quickWebhooksEnv: Record<string, string> = {
  WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
  WEBHOOKS_POLL_MS: "50",
  WEBHOOKS_RETRY_FIRST_DELAY_MS: "200",
  WEBHOOKS_RETRY_MAX_DELAY_MS: "1000",
};

/** Every service as a process, the webhooks service included, on `run`, delivering quickly; `env` adds to or overrides the settings. */
export function startWebhooksStack(run: TestRun, env: Record<string, string> = {}): Promise<Oryn> {
  return startOryn({ ...serviceEnv(run), ...quickWebhooksEnv, ...env }, {}, { webhooks: true });
}
