import {
  baseEnv,
  controlPlaneEnv,
  port,
  positiveInt,
  redisEnv,
  webhookSecretsEnv,
} from "@oryn/shared";
import { z } from "zod";

export const webhooksEnv = z
  .object({
    ...baseEnv,
    ...controlPlaneEnv,
    ...redisEnv,
    ...webhookSecretsEnv,
    PORT: port
      .default(8085)
      .describe(
        "Internal port for `/healthz`, `/readyz` and `/metrics` only; the webhooks service serves no public API.",
      ),
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: z
      .enum(["true", "false"])
      .default("false")
      .transform((value) => value === "true")
      .describe(
        "Deliver to loopback, private and link-local addresses too: for local development and tests only; production refuses to start with it.",
      ),
    WEBHOOKS_CONCURRENCY: positiveInt
      .max(500)
      .default(50)
      .describe("Deliveries in flight at once in this process."),
    WEBHOOKS_ENDPOINT_CONCURRENCY: positiveInt
      .max(100)
      .default(4)
      .describe(
        "Deliveries in flight at once to one endpoint, across all webhooks processes: a slow endpoint holds at most this many.",
      ),
    WEBHOOKS_TENANT_CONCURRENCY: positiveInt
      .max(500)
      .default(10)
      .describe(
        "Deliveries in flight at once for one tenant, across all webhooks processes: one tenant's slow endpoints cannot take every slot.",
      ),
    WEBHOOKS_TIMEOUT_MS: positiveInt
      .max(60_000)
      .default(10_000)
      .describe("How long a receiver has to answer 2xx; longer is a failed attempt."),
    WEBHOOKS_RETRY_FIRST_DELAY_MS: positiveInt
      .default(5000)
      .describe(
        "Wait before the first retry; it doubles with each try (with jitter), up to `WEBHOOKS_RETRY_MAX_DELAY_MS`.",
      ),
    WEBHOOKS_RETRY_MAX_DELAY_MS: positiveInt
      .default(8 * 3600 * 1000)
      .describe("Longest wait between two tries of one delivery."),
    WEBHOOKS_RETRY_WINDOW_SECONDS: positiveInt
      .default(3 * 24 * 3600)
      .describe(
        "How long a delivery is retried before it fails for good (about three days); an endpoint that fails without a success for this long is disabled and its tenant's admins are mailed.",
      ),
    WEBHOOKS_POLL_MS: positiveInt
      .max(60_000)
      .default(250)
      .describe(
        "How often new events are fanned out into deliveries and new deliveries handed to the queue.",
      ),
    WEBHOOKS_SWEEP_SECONDS: positiveInt
      .max(3600)
      .default(60)
      .describe(
        "A delivery due this long ago and not yet tried (its job lost with Redis, or with a worker killed mid-attempt) is handed to the queue again.",
      ),
    WEBHOOKS_JOB_LOCK_SECONDS: positiveInt
      .default(30)
      .describe(
        "How long a delivery being sent stays locked without renewal: a killed worker's deliveries are taken over after this.",
      ),
  })
  .superRefine((config, context) => {
    if (config.NODE_ENV === "production" && config.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
      context.addIssue({
        code: "custom",
        path: ["WEBHOOKS_ALLOW_PRIVATE_TARGETS"],
        message: "must not be true in production",
      });
  });

export type WebhooksConfig = z.output<typeof webhooksEnv>;
