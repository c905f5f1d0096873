import { z } from "@hono/zod-openapi";
import { pageSchema, roles, text } from "@oryn/shared";

export const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(roles),
    keyPrefix: z
      .string()
      .openapi({ description: "The key's first characters, to tell keys apart" }),
    createdBy: z.uuid(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
  })
  .openapi("ApiKey");

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().openapi({ description: "Shown once, never again" }) })
  .openapi("CreatedApiKey");

export const createApiKeyBody = z
  .object({
    name: text({ min: 1, max: 100 }).openapi({ example: "CI deploys" }),
    role: z.enum(roles).openapi({ example: "member" }),
  })
  .openapi("ApiKeyRequest");

export const apiKeyListSchema = pageSchema(apiKeySchema);

export type ApiKey = z.infer<typeof apiKeySchema>;
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;
export type CreateApiKeyInput = z.infer<typeof createApiKeyBody>;
