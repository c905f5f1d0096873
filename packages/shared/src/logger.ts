import { type Logger, pino } from "pino";

export type { Logger };

/**
 * JSON logs to stdout; `service` on every line so merged logs stay readable. `destination: 2`
 * sends them to stderr instead, for commands whose stdout is their answer; a stream takes the
 * lines itself (a test reading what was logged).
 */
export function createLogger(
  service: string,
  level: string,
  options: { destination?: 1 | 2 | pino.DestinationStream } = {},
): Logger {
  const settings = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "password",
        "*.password",
        "refreshToken",
      ],
      censor: "[redacted]",
    },
  } satisfies pino.LoggerOptions;
  if (typeof options.destination === "object") return pino(settings, options.destination);
  return options.destination === 2 ? pino(settings, pino.destination(2)) : pino(settings);
}
