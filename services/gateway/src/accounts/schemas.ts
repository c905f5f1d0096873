import { z } from "@hono/zod-openapi";
import { emailSchema, passwordSchema } from "../signup/schemas.ts";

const token = z.string().min(1).max(200);

export const verifyEmailBody = z
  .object({ token: token.openapi({ description: "From the link in the mail" }) })
  .openapi("EmailVerification");

export const forgotPasswordBody = z.object({ email: emailSchema }).openapi("PasswordForgotten");

export const resetPasswordBody = z
  .object({
    token: token.openapi({ description: "From the link in the mail" }),
    password: passwordSchema,
  })
  .openapi("PasswordReset");
