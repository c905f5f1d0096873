import { type Logger, pino } from "pino";

export type { Logger };

/** JSON logs to stdout; `service` on every line so merged logs stay readable. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ["req.headers.authorization", "password", "*.password", "refreshToken"],
      censor: "[redacted]",
    },
  });
}
