import { z } from "@hono/zod-openapi";
import { ApiError } from "@oryn/shared";

/**
 * Lists in the gateway (members, API keys, invitations) are short and ordered by id: the cursor
 * is the last id of the page, opaque to clients. A cursor that is not one we gave out is a 422.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
  cursor: z.string().max(200).optional(),
});

export function decodeIdCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!z.uuid().safeParse(id).success) {
    throw new ApiError("validation_failed", {
      errors: [{ path: "cursor", message: "not a cursor this API gave out" }],
    });
  }
  return id;
}

/** `{items, nextCursor}`, with `nextCursor: null` on the last page. */
export function page<T, R>(
  rows: T[],
  limit: number,
  idOf: (row: T) => string,
  toItem: (row: T) => R,
) {
  const last = rows.at(-1);
  return {
    items: rows.map(toItem),
    nextCursor:
      rows.length === limit && last ? Buffer.from(idOf(last)).toString("base64url") : null,
  };
}

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
