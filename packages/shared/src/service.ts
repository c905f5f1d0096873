import { ConfigError, loadDotEnv } from "./config.ts";
import { type Listening, listen, type Servable } from "./http.ts";
import { createLogger, type Logger } from "./logger.ts";
import { onShutdown } from "./operations.ts";
import { withTimeout } from "./timeouts.ts";
import { startTracing } from "./tracing.ts";

/** The settings every service has (packages/shared's common env). */
export type ServiceConfig = {
  LOG_LEVEL: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
};

/** What a service's `start` may do, beyond using its dependencies. */
export type ServiceRun = {
  /** Serves `app` on a port; the server closes at shutdown, in the order `stopWith` was called. */
  listen(
    app: Servable,
    options: { port: number; host: string; portVariable?: string },
  ): Promise<Listening>;
  /**
   * Runs `task` every `everyMs`, one run at a time: a tick that finds the last run unfinished
   * (Redis or a database slow) is skipped. A failed run is logged and the next tick tries again.
   * At shutdown the ticks stop first and a running task gets 5 s to finish.
   */
  every(name: string, everyMs: number, task: () => Promise<unknown>): { runNow(): void };
  /** A shutdown step, run after the periodic tasks stop and before the dependencies close. */
  stopWith(step: () => Promise<unknown>): void;
};

export type ServiceDefinition<
  Config extends ServiceConfig,
  Deps extends { close(): Promise<void> },
> = {
  name: string;
  /** Reads the settings from the environment (parseConfig and any checks of its own). */
  config(): Config;
  /**
   * Builds the dependencies, once: what `start` and the shutdown use is what this returned,
   * never changed after. A ConfigError here or in `config` ends the process with its message.
   */
  deps(config: Config, logger: Logger): Deps | Promise<Deps>;
  /** Starts serving and working; `run` registers what must stop at shutdown. */
  start(service: { config: Config; deps: Deps; logger: Logger }, run: ServiceRun): Promise<void>;
};

/**
 * The one way a service process starts and stops: .env, settings and dependencies (a bad
 * setting exits 1 naming it), tracing before anything serves, the service's own start, then on
 * SIGTERM or SIGINT its periodic tasks, its own steps in order, its dependencies and tracing.
 */
export async function runService<
  Config extends ServiceConfig,
  Deps extends { close(): Promise<void> },
>(service: ServiceDefinition<Config, Deps>): Promise<void> {
  loadDotEnv();
  let config: Config;
  let deps: Deps;
  let logger: Logger;
  try {
    config = service.config();
    logger = createLogger(service.name, config.LOG_LEVEL);
    deps = await service.deps(config, logger);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${service.name}: ${error.message}`);
    process.exit(1);
  }
  // Before anything serves: every span from here on is exported when an endpoint is set.
  const tracing = startTracing({
    service: service.name,
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const periodic: Array<() => Promise<void>> = [];
  const steps: Array<() => Promise<unknown>> = [];
  const run: ServiceRun = {
    async listen(app, options) {
      const server = await listen(app, options);
      steps.push(() => server.close());
      return server;
    },
    every(name, everyMs, task) {
      let running: Promise<unknown> | undefined;
      const runNow = () => {
        running ??= task()
          .catch((error: unknown) => logger.warn({ err: error }, `${name} failed`))
          .finally(() => {
            running = undefined;
          });
      };
      const timer = setInterval(runNow, everyMs);
      periodic.push(async () => {
        clearInterval(timer);
        // A task blocked on Redis or a database must not hold the shutdown: a little, not forever.
        await withTimeout(running ?? Promise.resolve(), 5000, `the running ${name}`).catch(
          () => {},
        );
      });
      return { runNow };
    },
    stopWith(step) {
      steps.push(step);
    },
  };
  await service.start({ config, deps, logger }, run);
  onShutdown(logger, [
    () => Promise.all(periodic.map((stop) => stop())),
    ...steps,
    () => deps.close(),
    () => tracing.shutdown(),
  ]);
}
