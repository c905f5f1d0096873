import { z } from "@hono/zod-openapi";
import type { Sql, SqlFragment, TransactionSql } from "./database.ts";
import { ApiError } from "./errors.ts";

/**
 * Every list of every service pages the same way (docs/api.md#lists): `?limit=` (1 to 200, 50 by
 * default) and an opaque `?cursor=`; the answer is `{items, nextCursor}`, `nextCursor: null` on
 * the last page. Lists are keyset-paged: the cursor carries the sort key of a page's last row,
 * and the next page starts after it, so rows added or removed between pages neither repeat nor
 * hide others.
 */
export const pageQuery = z.object({
  // Plain decimal digits: Number() would also take "0x10", "1e2" or " 5 ".
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "a whole number from 1 to 200")
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .optional()
    .transform((limit) => limit ?? 50)
    // What a client sends: a whole number, whatever the pattern that checks its digits.
    .openapi({ type: "integer", minimum: 1, maximum: 200, default: 50, example: 50 }),
  cursor: z.string().max(200).optional(),
});

export type Page<T> = { items: T[]; nextCursor: string | null };

/** The schema of a page of `item`s, for a list route's OpenAPI answer. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export type CursorCodec<K> = {
  encode(key: K): string;
  /** The key a cursor carries; undefined without one; a 422 naming `cursor` for anything else. */
  decode(cursor: string | undefined): K | undefined;
};

/**
 * A cursor is the sort key of a page's last row, as base64url JSON. `key` checks what comes back
 * and must admit only values the list's query can take as they are (a forged cursor is a 422
 * here, never a database error).
 */
export function cursorCodec<K>(key: z.ZodType<K>): CursorCodec<K> {
  return {
    encode: (value) => Buffer.from(JSON.stringify(value)).toString("base64url"),
    decode(cursor) {
      if (cursor === undefined) return undefined;
      try {
        return key.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
      } catch {
        throw new ApiError("validation_failed", {
          errors: [{ path: "cursor", message: "not a cursor this API gave out" }],
        });
      }
    },
  };
}

/** Lists ordered by a UUID primary key (the gateway's members, invitations and API keys). */
export const idCursor = cursorCodec(z.uuid());

/**
 * Lists ordered by (created_at, id). The time travels as whole microseconds since the epoch, a
 * decimal string: exact (a JS Date would cut microseconds and repeat or skip rows at page
 * boundaries), and any value that passes the pattern is a time PostgreSQL can represent.
 */
export const createdAtCursor = cursorCodec(z.tuple([z.string().regex(/^\d{1,16}$/), z.uuid()]));

/**
 * The page answered from `rows`, which the query fetched with `limit limit + 1`: the extra row
 * only says that another page exists. Without it a page that happens to end the list exactly
 * could not tell, and would send clients to an empty page after it.
 */
export function pageOf<R, T>(
  rows: readonly R[],
  limit: number,
  cursorOf: (last: R) => string,
  toItem: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toItem),
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  };
}

/**
 * The first half of a `createdAtCursor`, to select beside a row's columns: `created_at` in whole
 * microseconds, as text, named `cursor_at` (`cursorAt` once camelCased).
 */
export function createdAtCursorColumn(sql: Sql | TransactionSql): SqlFragment {
  return sql`(extract(epoch from created_at) * 1000000)::bigint::text as cursor_at`;
}

/**
 * `and` the rows after a `createdAtCursor`'s key in (created_at, id) order; nothing on the first
 * page. The microseconds become an interval through float8, exact for every time before 2255
 * (below 2^53 microseconds).
 */
export function andAfterCreatedAt(
  sql: Sql | TransactionSql,
  after: [atMicros: string, id: string] | undefined,
): SqlFragment {
  return after
    ? sql`and (created_at, id) > (timestamptz 'epoch' + ${after[0]}::bigint * interval '1 microsecond', ${after[1]}::uuid)`
    : sql``;
}

/** `pageOf` for rows selected with `createdAtCursorColumn`: the items without their `cursorAt`. */
export function createdAtPage<R extends { cursorAt: string; id: string }, T>(
  rows: readonly R[],
  limit: number,
  toItem: (row: Omit<R, "cursorAt">) => T,
): Page<T> {
  return pageOf(
    rows,
    limit,
    (last) => createdAtCursor.encode([last.cursorAt, last.id]),
    ({ cursorAt: _, ...row }) => toItem(row),
  );
}

/** `and` the rows after an `idCursor`'s id, in id order; nothing on the first page. */
export function andAfterId(sql: Sql | TransactionSql, after: string | undefined): SqlFragment {
  return after ? sql`and id > ${after}` : sql``;
}

/** `pageOf` for a list ordered by id: the next page starts after the last row's. */
export function idPage<R extends { id: string }, T>(
  rows: readonly R[],
  limit: number,
  toItem: (row: R) => T,
): Page<T> {
  return pageOf(rows, limit, (last) => idCursor.encode(last.id), toItem);
}
