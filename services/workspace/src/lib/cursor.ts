import { ApiError } from "@oryn/shared";
import { z } from "zod";

/**
 * Keyset cursors over (created_at, id). The timestamp travels as PostgreSQL's own text form so
 * its microseconds survive the round trip (a JS Date would cut them to milliseconds and skip or
 * repeat rows at page boundaries).
 */
const cursorSchema = z.tuple([
  // PostgreSQL's text form of a timestamptz, e.g. "2026-11-26 12:21:03.227547+00".
  z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/),
  z.uuid(),
]);

export type Cursor = { at: string; id: string };

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString("base64url");
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined;
  try {
    const [at, id] = cursorSchema.parse(
      JSON.parse(Buffer.from(value, "base64url").toString("utf8")),
    );
    if (Number.isNaN(Date.parse(at))) throw new Error("bad time");
    return { at, id };
  } catch {
    throw new ApiError("validation_failed", {
      errors: [{ path: "cursor", message: "not a cursor this API gave out" }],
    });
  }
}
