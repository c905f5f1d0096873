import { z } from "@hono/zod-openapi";
import { pageSchema, text } from "@oryn/shared";

export const scimTokenSchema = z
  .object({
    id: z.uuid(),
    description: z.string(),
    tokenPrefix: z
      .string()
      .openapi({ description: "The token's first characters, to tell tokens apart" }),
    createdBy: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
  })
  .openapi("ScimToken");

export const createdScimTokenSchema = scimTokenSchema
  .extend({
    token: z.string().openapi({
      description: "The bearer token for /scim/v2: shown once, never again",
    }),
  })
  .openapi("CreatedScimToken");

export const createScimTokenBody = z
  .object({
    description: text({ min: 0, max: 200 }).optional().openapi({ example: "Okta provisioning" }),
  })
  .openapi("ScimTokenRequest");

export const scimTokenListSchema = pageSchema(scimTokenSchema);

export type ScimToken = z.infer<typeof scimTokenSchema>;
