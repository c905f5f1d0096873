import type { AppEnv, Logger, Metrics, Queues, Sql, TokenVerifier } from "@oryn/shared";
import type { Context } from "hono";
import type { Redis } from "ioredis";
import type { GatewayConfig } from "./env.ts";
import type { Upstream } from "./proxy/upstream.ts";
import type { RateLimits } from "./rate-limit/rate-limits.ts";
import type { TokenSettings } from "./tokens/issue-tokens.ts";
import type { SigningKeys } from "./tokens/signing-keys.ts";

/** Everything the gateway's routes need, built once in main.ts (or by a test). */
export type GatewayDeps = {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  redis: Redis;
  queues: Queues;
  keys: SigningKeys;
  tokens: TokenSettings;
  verify: TokenVerifier;
  rateLimits: RateLimits;
  upstreams: { workspace: Upstream; billing: Upstream };
  clientIp: (c: Context<AppEnv>) => string;
};
