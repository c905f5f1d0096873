import { z } from "@hono/zod-openapi";
import { pageSchema, roles, text } from "@oryn/shared";
import { emailSchema, passwordSchema } from "../signup/schemas.ts";

export const invitationSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(roles),
    invitedBy: z.uuid(),
    expiresAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
  })
  .openapi("Invitation");

export const createInvitationBody = z
  .object({ email: emailSchema, role: z.enum(roles).openapi({ example: "member" }) })
  .openapi("InvitationRequest");

export const acceptInvitationBody = z
  .object({
    token: z.string().min(1).max(200),
    name: text({ min: 1, max: 200 }).optional().openapi({
      description: "Required when the invited email has no account yet",
      example: "Grace",
    }),
    password: passwordSchema.openapi({
      description: "The new account's password, or the existing account's own",
    }),
  })
  .openapi("InvitationAcceptance");

export const invitationListSchema = pageSchema(invitationSchema);

export type Invitation = z.infer<typeof invitationSchema>;
export type CreateInvitationInput = z.infer<typeof createInvitationBody>;
export type AcceptInvitationInput = z.infer<typeof acceptInvitationBody>;
