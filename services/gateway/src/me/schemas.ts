import { z } from "@hono/zod-openapi";
import { roles, text } from "@oryn/shared";
import { emailSchema, passwordSchema } from "../signup/schemas.ts";

export const profileSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    emailVerified: z.boolean(),
    name: z.string(),
    mfa: z.object({ totp: z.boolean() }),
    memberships: z.array(
      z.object({
        tenant: z.object({ id: z.uuid(), slug: z.string(), name: z.string() }),
        role: z.enum(roles),
      }),
    ),
  })
  .openapi("Profile");

export const updateProfileBody = z
  .object({ name: text({ min: 1, max: 200 }).openapi({ example: "Ada Lovelace" }) })
  .openapi("ProfileUpdate");

export const changePasswordBody = z
  .object({ currentPassword: z.string().min(1).max(256), newPassword: passwordSchema })
  .openapi("PasswordChange");

export const changeEmailBody = z
  .object({
    email: emailSchema.openapi({ description: "The new address; a confirmation link goes there" }),
    password: z.string().min(1).max(256),
  })
  .openapi("EmailChange");

export type Profile = z.infer<typeof profileSchema>;
