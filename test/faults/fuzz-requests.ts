/**
 * One hostile request to one endpoint, as fast-check draws it: path ids (A's, B's, garbage),
 * query string, body, content type and extra headers, each mostly wrong in its own way.
 */

import type { Endpoint } from "@oryn/testing/openapi-endpoints";
import { pathWithIds } from "@oryn/testing/openapi-endpoints";
import type { PopulatedTenant } from "@oryn/testing/populated-tenant";
import { bodyFields, sampleBody } from "@oryn/testing/sample-body";
import fc from "fast-check";
import { headerValue, hostileString, sqlFragments } from "./fuzz-hostile.ts";

/** The fuzzing tenant (a) and the one whose data must stay out of reach (b). */
export type Tenants = { a: PopulatedTenant; b: PopulatedTenant };

export type FuzzRequest = {
  path: string;
  query: string;
  body: string | undefined;
  headers: [string, string][];
};

/** Lone surrogates cannot be percent-encoded: they go as U+FFFD, as a browser sends them. */
const encodePart = (value: string) => encodeURIComponent(value.toWellFormed());

/** An id for a `{param}`: A's, B's, or anything but an id. */
function pathIdArbitrary(tenants: Tenants, collection: string) {
  const own = tenants.a.ids[collection] ?? "";
  const other = tenants.b.ids[collection] ?? "";
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(own) },
    { weight: 3, arbitrary: fc.constant(other) },
    fc.constant(own.toUpperCase()),
    fc.constant(`${own}'`),
    fc.uuid(),
    hostileString.filter((value) => value.length > 0).map(encodePart),
    fc.constantFrom("%00", "%C3%28", "%ZZ", "%2e%2e", "..", "0", "-1", "x".repeat(5000)),
  );
}

const queryArbitrary = (tenants: Tenants) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom("limit", "cursor", "status", "assigneeId", "q", "sort", "offset"),
          fc.string({ unit: "grapheme-ascii", maxLength: 10 }),
        ),
        fc.oneof(
          hostileString.map(encodePart),
          fc.integer().map(String),
          fc.constantFrom(...Object.values(tenants.b.ids)),
          fc.constantFrom("0", "-1", "101", "1e309", "1.5", "%ZZ", "%C3%28", "%00"),
          // Cursors are opaque base64url: a forged one with hostile JSON inside.
          fc
            .jsonValue()
            .map((value) => Buffer.from(JSON.stringify(value) ?? "").toString("base64url")),
          fc
            .constantFrom(...sqlFragments)
            .map((id) => Buffer.from(JSON.stringify({ id, createdAt: id })).toString("base64url")),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}` : ""));

const hostileValue = (tenantB: PopulatedTenant) =>
  fc.oneof(
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    fc.uuid(),
    fc.constantFrom(...Object.values(tenantB.ids), tenantB.id),
  );

function nested(depth: number, asObject: boolean): string {
  return asObject
    ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`
    : `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

function bodyArbitrary(tenants: Tenants, endpoint: Endpoint) {
  const sample = sampleBody(endpoint.document, endpoint.operation) ?? {};
  // Optional fields too: a reference like `assigneeId` is where another tenant's id may slip in.
  const fields = [
    ...new Set([
      ...(typeof sample === "object" && sample ? Object.keys(sample) : []),
      ...bodyFields(endpoint.document, endpoint.operation),
    ]),
  ];
  const mutated = fc
    .tuple(
      fc.subarray(fields),
      fc.array(hostileValue(tenants.b), { minLength: fields.length, maxLength: fields.length }),
      fc.dictionary(fc.string({ maxLength: 12 }), hostileValue(tenants.b), { maxKeys: 2 }),
    )
    .map(([replaced, values, extra]) => {
      const body: Record<string, unknown> = { ...(sample as object) };
      replaced.forEach((field, index) => {
        body[field] = values[index];
      });
      return JSON.stringify({ ...body, ...extra });
    });
  // A valid body whose one reference (`assigneeId`, ...) is one of B's ids: a random mutation
  // would almost never hit that combination.
  const references = fields.filter((field) => field.endsWith("Id"));
  const crossReference = fc
    .tuple(fc.constantFrom("", ...references), fc.constantFrom(...tenantBMarks(tenants)))
    .map(([field, id]) => JSON.stringify(field ? { ...(sample as object), [field]: id } : sample));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(JSON.stringify(sample)) },
    { weight: 2, arbitrary: crossReference },
    { weight: 5, arbitrary: mutated },
    { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 100_000 }), fc.boolean())
        .map(([depth, asObject]) => nested(depth, asObject)),
    },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom("{", '{"a":', "\uFEFF{}", "nul", "[1,]", "{'a':1}", "", " ", "\u0000"),
        fc
          .nat({ max: 40 })
          .map((cut) =>
            JSON.stringify(sample).slice(0, Math.max(0, JSON.stringify(sample).length - cut - 1)),
          ),
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      // Around the gateway's 1 MiB body limit: just under, just over, far over.
      weight: 1,
      arbitrary: fc
        .constantFrom(64 * 1024, 1024 * 1024 - 200, 1024 * 1024 + 1, 3 * 1024 * 1024)
        .map((size) => JSON.stringify({ ...(sample as object), padding: "x".repeat(size) })),
    },
  );
}

const contentTypeArbitrary = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  fc.constantFrom(
    "application/json; charset=utf-8",
    "application/json; charset=iso-8859-1",
    "application/json;charset=UTF-16",
    "APPLICATION/JSON",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=----fuzz",
    "application/problem+json",
    "application/merge-patch+json",
    "application/json, text/html",
    "",
  ),
  fc.constant(undefined),
  headerValue,
);

const extraHeadersArbitrary = fc.array(
  fc.oneof(
    fc.tuple(fc.constant("idempotency-key"), headerValue),
    fc.tuple(
      fc.constant("if-match"),
      fc.oneof(headerValue, fc.constantFrom('"*"', "*", 'W/"1"', '"', '"1", "2"', '"0"')),
    ),
    fc.tuple(fc.constant("x-request-id"), headerValue),
    fc.tuple(fc.constantFrom("accept", "accept-charset", "accept-language"), headerValue),
    fc.tuple(fc.constant("content-encoding"), fc.constantFrom("gzip", "br", "deflate", "x")),
    fc.tuple(fc.constant("stripe-signature"), headerValue),
    fc.tuple(fc.constant("x-forwarded-for"), headerValue),
    // Past Node's 16 KiB header limit, which the HTTP parser answers itself.
    fc.tuple(fc.constant("x-fuzz-padding"), fc.constantFrom("x".repeat(8000), "x".repeat(20_000))),
  ),
  { maxLength: 3 },
);

export function requestArbitrary(tenants: Tenants, endpoint: Endpoint) {
  const params = [...endpoint.path.matchAll(/\/([^/]+)\/\{[^}]+\}/g)].map(
    (match) => match[1] ?? "",
  );
  return fc
    .record({
      ids: fc.tuple(...params.map((collection) => pathIdArbitrary(tenants, collection))),
      query: queryArbitrary(tenants),
      body: bodyArbitrary(tenants, endpoint),
      contentType: contentTypeArbitrary,
      // A duplicated content-type arrives joined with a comma.
      duplicateContentType: fc.boolean(),
      headers: extraHeadersArbitrary,
    })
    .map(({ ids, query, body, contentType, duplicateContentType, headers }): FuzzRequest => {
      let next = 0;
      const path = pathWithIds(endpoint.path, tenants.a.ids, () => ids[next++] ?? "");
      const all: [string, string][] = [...headers];
      if (contentType !== undefined) {
        all.push(["content-type", contentType]);
        if (duplicateContentType) all.push(["content-type", contentType]);
      }
      return { path, query, body, headers: all };
    });
}

/** B's identifiers: none may reach A in a successful answer that A did not send itself. */
export function tenantBMarks(tenants: Tenants): string[] {
  const b = tenants.b;
  return [b.id, b.slug, b.owner.userId, b.admin.userId, ...Object.values(b.ids)];
}
