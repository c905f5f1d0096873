import { createRoute, z } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  access,
  principalOf,
  problemResponses,
  roleAtLeast,
  roles,
  text,
} from "@oryn/shared";
import { recordAuditEvent } from "../audit/audit-events.ts";
import type { GatewayDeps } from "../deps.ts";
import { decodeIdCursor, listOf, page, pageQuery } from "../lib/pages.ts";
import { type ApiKey, createApiKey, deleteApiKey, listApiKeys } from "./api-keys.ts";

const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(roles),
    keyPrefix: z
      .string()
      .openapi({ description: "The key's first characters, to tell keys apart" }),
    createdBy: z.uuid(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi("ApiKey");
const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().openapi({ description: "Shown once, never again" }) })
  .openapi("CreatedApiKey");
const createBody = z
  .object({
    name: text({ min: 1, max: 100 }).openapi({ example: "CI deploys" }),
    role: z.enum(roles).openapi({ example: "member" }),
  })
  .openapi("ApiKeyRequest");
const idParam = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

const createApiKeyRoute = createRoute({
  method: "post",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key, with a role no higher than your own; the key is shown once",
  ...access("admin"),
  request: { body: { content: { "application/json": { schema: createBody } }, required: true } },
  responses: {
    201: {
      description: "The key",
      content: { "application/json": { schema: createdApiKeySchema } },
    },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

const listApiKeysRoute = createRoute({
  method: "get",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "The tenant's API keys, without the keys themselves",
  ...access("admin"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of keys",
      content: { "application/json": { schema: listOf(apiKeySchema) } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

const deleteApiKeyRoute = createRoute({
  method: "delete",
  path: "/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Delete an API key; it stops working at once",
  ...access("admin"),
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 429) },
});

const toItem = ({ createdAt, lastUsedAt, ...apiKey }: ApiKey) => ({
  ...apiKey,
  createdAt: createdAt.toISOString(),
  lastUsedAt: lastUsedAt?.toISOString() ?? null,
});

export function registerApiKeys(app: App, deps: GatewayDeps): void {
  app.openapi(createApiKeyRoute, async (c) => {
    const actor = principalOf(c);
    const { name, role } = c.req.valid("json");
    if (!roleAtLeast(actor.role, role)) {
      throw new ApiError("forbidden", { detail: "A key cannot have a role above yours" });
    }
    // A key's life is tied to the person who made it (see authenticate): a key making keys would
    // cut that tie.
    if (actor.kind === "api_key") {
      throw new ApiError("forbidden", { detail: "API keys are made by people, not by other keys" });
    }
    const context = { requestId: c.get("requestId"), ip: deps.clientIp(c) };
    const { apiKey, key } = await deps.sql.begin(async (tx) => {
      const created = await createApiKey(tx, {
        tenantId: actor.tenantId,
        name,
        role,
        createdBy: actor.userId,
      });
      await recordAuditEvent(tx, context, {
        tenantId: actor.tenantId,
        actorId: actor.userId,
        action: "api_key_created",
        entity: "api_key",
        entityId: created.apiKey.id,
        data: { name, role },
      });
      return created;
    });
    c.header("location", `/v1/api-keys/${apiKey.id}`);
    return c.json({ ...toItem(apiKey), key }, 201);
  });

  app.openapi(listApiKeysRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listApiKeys(deps.sql, principalOf(c).tenantId, {
      limit,
      after: decodeIdCursor(cursor),
    });
    return c.json(
      page(rows, limit, (row) => row.id, toItem),
      200,
    );
  });

  app.openapi(deleteApiKeyRoute, async (c) => {
    const actor = principalOf(c);
    const { id } = c.req.valid("param");
    const context = { requestId: c.get("requestId"), ip: deps.clientIp(c) };
    await deps.sql.begin(async (tx) => {
      const deleted = await deleteApiKey(tx, actor.tenantId, id);
      if (!deleted) throw new ApiError("not_found");
      // Owners' keys are owners' business: throwing rolls the deletion back.
      if (!roleAtLeast(actor.role, deleted.role)) {
        throw new ApiError("forbidden", { detail: "Only owners delete an owner's key" });
      }
      await recordAuditEvent(tx, context, {
        tenantId: actor.tenantId,
        actorId: actor.userId,
        action: "api_key_deleted",
        entity: "api_key",
        entityId: id,
        data: deleted,
      });
    });
    return c.body(null, 204);
  });
}
