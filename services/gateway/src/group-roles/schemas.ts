import { z } from "@hono/zod-openapi";
import { roles, text } from "@oryn/shared";

export const groupRoleSchema = z
  .object({
    group: text({ min: 1, max: 256 }).openapi({
      description:
        "A directory group: a SCIM group's displayName or externalId, or a value of the groups claim an SSO sign-in carries",
      example: "Engineering",
    }),
    role: z.enum(roles).openapi({ example: "admin" }),
  })
  .openapi("GroupRole");

export const groupRolesSchema = z
  .object({ items: z.array(groupRoleSchema).max(200) })
  .openapi("GroupRoles");
