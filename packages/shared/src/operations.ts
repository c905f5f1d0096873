import { connect as connectTcp } from "node:net";
import type { MiddlewareHandler } from "hono";
import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { ApiError } from "./errors.ts";
import type { App, AppEnv } from "./http.ts";
import type { Logger } from "./logger.ts";
import { withTimeout } from "./timeouts.ts";

export { Counter, Gauge, Histogram } from "prom-client";

export type Metrics = {
  registry: Registry;
  httpDuration: Histogram<"method" | "route" | "status">;
  /** How long jobs take, by queue, job name and outcome (used by services that run workers). */
  jobDuration: Histogram<"queue" | "job" | "outcome">;
};

export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP requests by method, matched route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: "oryn_job_duration_seconds",
    help: "Jobs by queue, job name and outcome (completed, failed)",
    labelNames: ["queue", "job", "outcome"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return { registry, httpDuration, jobDuration };
}

/** Records each request under its route pattern, never its raw path (ids would explode labels). */
export function measureRequests(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const end = metrics.httpDuration.startTimer();
    await next();
    end({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
  };
}

export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/** `/healthz` (the process is alive), `/readyz` (its dependencies answer), `/metrics`. */
export function registerOperationalRoutes(
  app: App,
  options: { metrics: Metrics; checks: ReadinessChecks },
): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const entries = Object.entries(options.checks);
    const results = await Promise.allSettled(
      entries.map(([name, check]) => withTimeout(check(), 2000, `readiness check ${name}`)),
    );
    const failed = entries
      .filter((_, index) => results[index]?.status === "rejected")
      .map(([name]) => name);
    if (failed.length > 0)
      throw new ApiError("not_ready", { detail: `Not answering: ${failed.join(", ")}` });
    return c.json({
      status: "ready",
      checks: Object.fromEntries(entries.map(([name]) => [name, "ok"])),
    });
  });
  app.get("/metrics", async (c) => {
    c.header("content-type", options.metrics.registry.contentType);
    return c.body(await options.metrics.registry.metrics());
  });
}

/**
 * Runs the shutdown steps in order on SIGTERM or SIGINT (stop accepting, finish in-flight work,
 * close clients), then exits. Steps that take too long, or a second Ctrl-C, exit at once.
 *
 * What counts as a second Ctrl-C: the same signal again, more than a second after the first. A
 * terminal's Ctrl-C reaches every process of its group, and a supervisor in that group forwards
 * what it got to its children too (`npm start`'s concurrently does, and sends SIGTERM to the rest
 * once the first service has stopped): each service then gets its signal two or three times
 * within milliseconds, and none of those is a person insisting.
 */
const signalEchoMs = 1_000;

export function onShutdown(
  logger: Logger,
  steps: Array<() => Promise<unknown>>,
  graceMs = 25_000,
): void {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    if (first) {
      if (signal === first.signal && performance.now() - first.at > signalEchoMs) {
        logger.warn({ signal }, "second signal, exiting now");
        process.exit(1);
      }
      logger.info({ signal, stoppingOn: first.signal }, "already stopping");
      return;
    }
    first = { signal, at: performance.now() };
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error("shutdown took too long, exiting");
      process.exit(1);
    }, graceMs);
    timer.unref();
    try {
      for (const step of steps) await step();
      logger.info("stopped");
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** A readiness check for a server we have no credentials for: does its port accept a connection? */
export function portAccepts(url: string, timeoutMs = 2000): () => Promise<void> {
  const { hostname: bracketed, port } = new URL(url);
  // URL keeps IPv6 literals in brackets ("[::1]"); sockets want them bare.
  const hostname = bracketed.replace(/^\[(.*)\]$/, "$1");
  return () =>
    new Promise((resolve, reject) => {
      const socket = connectTcp({ host: hostname, port: Number(port || 5432) });
      socket.setTimeout(timeoutMs, () =>
        socket.destroy(new Error(`${hostname}:${port} timed out`)),
      );
      socket.once("connect", () => {
        socket.end();
        resolve();
      });
      socket.once("error", reject);
    });
}

/** The jobs each queue holds, by state, read from Redis when /metrics is scraped. */
export function observeQueueDepth(
  metrics: Metrics,
  queues: { name: string; getJobCounts(): Promise<Record<string, number>> }[],
): void {
  new Gauge({
    name: "oryn_queue_jobs",
    help: "Jobs in each queue by state (waiting, active, delayed, failed, ...), at scrape time",
    labelNames: ["queue", "state"] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const queue of queues) {
        // A scrape while Redis is away shows no depth rather than failing the whole /metrics.
        const counts = await queue.getJobCounts().catch(() => ({}));
        for (const [state, count] of Object.entries(counts)) {
          this.set({ queue: queue.name, state }, count);
        }
      }
    },
  });
}
