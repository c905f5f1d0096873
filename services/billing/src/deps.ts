import type { Logger, Metrics, Sql } from "@oryn/shared";
import type Stripe from "stripe";

export type BillingDeps = {
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  stripe: Stripe;
  webhookSecret: string;
  toleranceSeconds: number;
};
