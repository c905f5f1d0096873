import {
  baseEnv,
  httpUrl,
  mailAttemptsCeiling,
  port,
  positiveInt,
  redisEnv,
  unsetWhenEmpty,
} from "@oryn/shared";
import addressparser from "nodemailer/lib/addressparser";
import { z } from "zod";

/** `Name <address>` or a bare address, as one sender. */
const sender = z.string().refine((value) => {
  const [first, ...rest] = addressparser(value);
  return rest.length === 0 && z.email().safeParse(first?.address).success;
}, "must be one address, e.g. Oryn <no-reply@example.com>");

/** Settings that production must be given: outside it, the defaults below stand in. */
const requiredInProduction = ["SMTP_URL", "MAIL_FROM", "APP_URL"] as const;

// The mailer generates no secret: SMTP_URL is given, so it reads no SECRETS_DIR.
const { SECRETS_DIR: _, ...base } = baseEnv;

export const mailerEnv = z
  .object({
    ...base,
    ...redisEnv,
    PORT: port
      .default(8084)
      .describe(
        "Internal port for `/healthz`, `/readyz` and `/metrics` only; the mailer serves no public API.",
      ),
    SMTP_URL: unsetWhenEmpty(
      z
        .url({ protocol: /^smtps?$/ })
        .refine((value) => new URL(value).hostname !== "", "must name a host")
        .optional(),
    ).meta({
      description:
        "The SMTP server, `smtp://` (STARTTLS when offered) or `smtps://` (TLS), with an optional `user:password@` (percent-encoded). Required in production.",
      secret: true,
      unset: "each message is written to `MAIL_DIR` instead (never in production)",
    }),
    MAIL_FROM: unsetWhenEmpty(sender.optional()).meta({
      description:
        "The sender of every message; its domain also names Message-IDs. Required in production.",
      unset: "`PRODUCT_NAME <no-reply@localhost>`",
    }),
    APP_URL: unsetWhenEmpty(httpUrl.optional()).meta({
      description: "The product's web app: links in mail point there. Required in production.",
      unset: "`http://localhost:8080`",
    }),
    PRODUCT_NAME: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^\p{Cc}]+$/u, "must not contain control characters")
      .default("Oryn")
      .describe("The product's name, in subjects and signatures."),
    MAIL_DIR: z
      .string()
      .min(1)
      .default(".mail")
      .describe(
        "Where messages are written as .eml files when `SMTP_URL` is unset (never in production).",
      ),
    MAIL_CONCURRENCY: positiveInt
      .max(100)
      .default(5)
      .describe("Messages sent at once (also the SMTP connections kept open)."),
    MAIL_ATTEMPTS: positiveInt
      .max(mailAttemptsCeiling)
      .default(30)
      .describe(
        "Tries per message before it is failed for good (it then stays in the failed set, on the queue board). With the backoff defaults, 30 tries span about 1 h 50 min: an SMTP server down for that long loses nothing. A refusal no retry can mend (5xx) fails at once.",
      ),
    MAIL_BACKOFF_MS: positiveInt
      .default(1000)
      .describe(
        "Wait before the first retry; it doubles with each try, up to `MAIL_BACKOFF_MAX_MS`.",
      ),
    MAIL_BACKOFF_MAX_MS: positiveInt
      .default(5 * 60 * 1000)
      .describe("Longest wait between two tries."),
    MAIL_JOB_LOCK_SECONDS: positiveInt
      .default(30)
      .describe(
        "How long a message being sent stays locked without renewal: the messages a mailer had in hand when it died (SIGKILL, a lost machine) are taken over by another after this.",
      ),
  })
  .superRefine((config, context) => {
    if (config.NODE_ENV !== "production") return;
    for (const name of requiredInProduction) {
      if (config[name] === undefined)
        context.addIssue({ code: "custom", path: [name], message: "required in production" });
    }
  });

export type MailerConfig = z.output<typeof mailerEnv>;

/** The sender, the app's address and the product's name, with development's defaults. */
export function mailSettings(config: MailerConfig) {
  return {
    from: config.MAIL_FROM ?? `${config.PRODUCT_NAME} <no-reply@localhost>`,
    appUrl: config.APP_URL ?? "http://localhost:8080",
    productName: config.PRODUCT_NAME,
  };
}
