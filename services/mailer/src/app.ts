import { type App, createApp, registerOperationalRoutes, useCommonHandlers } from "@oryn/shared";
import type { MailerDeps } from "./deps.ts";

/**
 * The mailer serves no public API: /healthz, /readyz (Redis answers; the SMTP server answers
 * and takes the login, when one is configured) and /metrics, on an internal port.
 */
export function createMailerApp(deps: MailerDeps): App {
  const app = createApp();
  useCommonHandlers(app, { logger: deps.logger, metrics: deps.metrics });
  const { verify } = deps.transport;
  registerOperationalRoutes(app, {
    metrics: deps.metrics,
    checks: {
      redis: () => deps.redis.ping(),
      ...(verify ? { smtp: verify } : {}),
    },
  });
  return app;
}
