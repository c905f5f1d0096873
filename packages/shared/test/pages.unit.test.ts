import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors.ts";
import { createdAtCursor, idCursor, pageOf, pageQuery } from "../src/pages.ts";

const id = "0b6f3a52-7c1e-4d2a-9f3b-5e8c1a2d4f60";

describe("pageOf", () => {
  const rows = (count: number) => Array.from({ length: count }, (_, index) => ({ n: index }));
  const page = (count: number, limit: number) =>
    pageOf(
      rows(count),
      limit,
      (last) => `after-${last.n}`,
      (row) => row.n,
    );

  it("gives a cursor only when the query found the extra row", () => {
    expect(page(3, 2)).toEqual({ items: [0, 1], nextCursor: "after-1" });
    // Exactly full: the last page, with no cursor to an empty one after it.
    expect(page(2, 2)).toEqual({ items: [0, 1], nextCursor: null });
    expect(page(1, 2)).toEqual({ items: [0], nextCursor: null });
    expect(page(0, 2)).toEqual({ items: [], nextCursor: null });
  });
});

describe("cursors", () => {
  it("give back the key they carry", () => {
    expect(idCursor.decode(idCursor.encode(id))).toBe(id);
    const key: [string, string] = ["1764950400123456", id];
    expect(createdAtCursor.decode(createdAtCursor.encode(key))).toEqual(key);
    expect(idCursor.decode(undefined)).toBeUndefined();
  });

  it("refuse anything they did not give out with a 422 naming the cursor", () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const cursor of [
      "not-a-cursor",
      "%00",
      forged("not a uuid"),
      forged([id]),
      forged({ id }),
      Buffer.from(id).toString("base64url"),
    ]) {
      expect(() => idCursor.decode(cursor), cursor).toThrow(ApiError);
    }
    for (const at of ["now", "-1", "1.5", "1e3", "12345678901234567", "1'; select 1; --"]) {
      expect(() => createdAtCursor.decode(forged([at, id])), at).toThrow(ApiError);
    }
    const refusal = (() => {
      try {
        idCursor.decode("x");
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toMatchObject({
      code: "validation_failed",
      errors: [{ path: "cursor", message: "not a cursor this API gave out" }],
    });
  });
});

describe("pageQuery", () => {
  it("takes 1 to 200 in plain digits, 50 when left out", () => {
    expect(pageQuery.parse({})).toEqual({ limit: 50 });
    expect(pageQuery.parse({ limit: "200", cursor: "c" })).toEqual({ limit: 200, cursor: "c" });
    for (const limit of ["0", "201", "abc", "0x10", "1e2", " 5 ", "-1", "1.5"]) {
      expect(pageQuery.safeParse({ limit }).success, limit).toBe(false);
    }
  });
});
