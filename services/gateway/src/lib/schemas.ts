import { z } from "@hono/zod-openapi";

/** `{id}` in a path: the UUID of one of the caller's tenant's things (a key, an invitation, an export). */
export const idParams = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});
