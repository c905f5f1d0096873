import { z } from "@hono/zod-openapi";
import { pageSchema, roles } from "@oryn/shared";

export const memberSchema = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(roles),
    createdAt: z.string(),
  })
  .openapi("Member");

export const memberParams = z.object({
  userId: z.uuid().openapi({ param: { name: "userId", in: "path" } }),
});

export const roleChangeBody = z
  .object({ role: z.enum(roles).openapi({ example: "admin" }) })
  .openapi("RoleChange");

export const memberListSchema = pageSchema(memberSchema);

export type Member = z.infer<typeof memberSchema>;
