import { z } from "@hono/zod-openapi";
import { paidPlanNames, planNames } from "@oryn/shared";

export const limitsSchema = z
  .object({
    projects: z.number().int(),
    members: z.number().int(),
    requestsPerMinute: z.number().int(),
    requestsPerSecond: z.number().int(),
  })
  .openapi("PlanLimits");

export const subscriptionSchema = z
  .object({
    plan: z.enum(planNames),
    status: z.string().openapi({
      description:
        "Stripe's status of the subscription (active, trialing, past_due, unpaid, canceled, ...), or none",
      example: "active",
    }),
    currentPeriodEnd: z.iso.datetime().nullable(),
    cancelAtPeriodEnd: z.boolean(),
    limits: limitsSchema,
    restricted: z.boolean().openapi({
      description: "Writes are refused (403 tenant_restricted) until the overdue payment is made",
    }),
    paymentGraceEndsAt: z.iso.datetime().nullable().openapi({
      description: "While a payment is overdue: when the tenant becomes restricted if it stays so",
    }),
  })
  .openapi("Subscription");

export const checkoutBody = z
  .object({ plan: z.enum(paidPlanNames).openapi({ description: "The plan to subscribe to" }) })
  .openapi("CheckoutRequest");

export const sessionSchema = z
  .object({ url: z.url().openapi({ description: "Send the user's browser here" }) })
  .openapi("BillingSession");
