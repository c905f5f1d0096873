import { z } from "@hono/zod-openapi";
import { pageSchema, roles } from "@oryn/shared";

export const memberSchema = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(roles),
    createdAt: z.iso.datetime(),
    version: z.string().openapi({
      description:
        "The membership's version, a decimal number as a string; each role change raises it (access tokens carry it)",
      example: "42",
    }),
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
