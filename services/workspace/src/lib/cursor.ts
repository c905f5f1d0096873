import { ApiError } from "@oryn/shared";
import { z } from "zod";

/**
 * Keyset cursors over (created_at, id). The time travels as whole microseconds since the epoch:
 * exact (a JS Date would cut microseconds and repeat or skip rows at page boundaries), and any
 * value that passes the pattern is a time PostgreSQL can represent, so a forged cursor gets a
 * 422 here rather than a database error.
 */
const cursorSchema = z.tuple([z.string().regex(/^\d{1,16}$/), z.uuid()]);

export type Cursor = { atMicros: string; id: string };

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.atMicros, cursor.id])).toString("base64url");
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined;
  try {
    const [atMicros, id] = cursorSchema.parse(
      JSON.parse(Buffer.from(value, "base64url").toString("utf8")),
    );
    return { atMicros, id };
  } catch {
    throw new ApiError("validation_failed", {
      errors: [{ path: "cursor", message: "not a cursor this API gave out" }],
    });
  }
}
