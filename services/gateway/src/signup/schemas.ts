import { z } from "@hono/zod-openapi";
import { text } from "@oryn/shared";
import { tokensSchema } from "../tokens/issue-tokens.ts";

// Lower-case letters, digits and inner hyphens: safe in a URL and never an identifier in SQL.
export const slugSchema = z
  .string()
  .min(1)
  .max(40)
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/,
    "lower-case letters, digits and inner hyphens, at most 40",
  )
  .openapi({ example: "acme" });

export const emailSchema = z
  .email()
  .max(254)
  .transform((email) => email.toLowerCase())
  .openapi({ example: "ada@acme.test" });

export const passwordSchema = z.string().min(10, "at least 10 characters").max(256);

const displayName = text({ min: 1, max: 200 });

export const signupBody = z
  .object({
    company: z.object({
      name: displayName.openapi({ example: "Acme" }),
      slug: slugSchema.optional(),
    }),
    owner: z.object({
      email: emailSchema,
      password: passwordSchema,
      name: displayName.openapi({ example: "Ada" }),
    }),
  })
  .openapi("SignupRequest");

export const signupAnswer = z
  .object({
    tenant: z.object({
      id: z.uuid(),
      slug: z.string(),
      name: z.string(),
      status: z.literal("provisioning"),
    }),
    user: z.object({ id: z.uuid(), email: z.string(), name: z.string() }),
    tokens: tokensSchema,
  })
  .openapi("SignupAnswer");

export const signupPendingAnswer = z
  .object({
    status: z.literal("confirmation_sent").openapi({
      description:
        "SIGNUP_CONFIRMATION=email: a link was mailed to the owner's address (or, if it has an account, a notice); nothing is created until `POST /v1/signup/confirm`",
    }),
  })
  .openapi("SignupPending");

export const confirmSignupBody = z
  .object({
    token: z.string().min(1).max(512).openapi({ description: "The `token` of the mailed link" }),
    slug: slugSchema.optional().openapi({
      description: "Another slug, when the one asked for at signup has been taken since",
    }),
  })
  .openapi("ConfirmSignupRequest");

export type SignupInput = z.infer<typeof signupBody>;
