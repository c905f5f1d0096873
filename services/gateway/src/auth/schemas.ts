import { z } from "@hono/zod-openapi";
import { emailSchema, slugSchema } from "../signup/schemas.ts";

export const loginBody = z
  .object({
    email: emailSchema,
    password: z.string().min(1).max(256),
    tenant: slugSchema
      .optional()
      .openapi({ description: "Needed only when the user belongs to several tenants" }),
  })
  .openapi("LoginRequest");

export const refreshBody = z
  .object({
    refreshToken: z.string().min(1).max(200).optional().openapi({
      description:
        "Required, except in cookie mode (`X-Oryn-Session: cookie`), where the token comes from the cookie and must not be in the body",
    }),
  })
  .openapi("RefreshRequest");

export type LoginInput = z.infer<typeof loginBody>;
