/**
 * Fuzz: every operation of the OpenAPI documents, sent hostile bodies, headers, query strings,
 * path ids, content types and sizes by tenant A's owner, against A's ids and B's. Never a 5xx,
 * every 4xx problem+json, nothing of B's seen by A or changed (B's own view of every GET endpoint
 * is compared before and after). No endpoint is skipped: the Stripe webhook cannot be reached
 * past its signature check by a fuzz, but garbage there must still be a 4xx problem+json.
 */
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Endpoint } from "../harness/openapi-endpoints.ts";
import { pathWithIds } from "../harness/openapi-endpoints.ts";
import type { PopulatedTenant } from "../harness/populated-tenant.ts";
import { bodyFields, sampleBody } from "../harness/sample-body.ts";
import { headerValue, hostileString, sqlFragments } from "./fuzz-hostile.ts";
import { type FuzzStack, fuzzRuns, fuzzSeed, problemDefect, startFuzzStack } from "./fuzz-stack.ts";
import { recordFault } from "./report.ts";

let stack: FuzzStack;
const counts = { cases: 0, requests: 0, serverErrors: 0, leaks: 0 };
const defects: string[] = [];

beforeAll(async () => {
  stack = await startFuzzStack();
});
afterAll(async () => {
  // What the services logged is the rest of a defect's story.
  if (defects.length) {
    for (const service of Object.values(stack.oryn.services)) {
      console.log(`--- ${service.name}\n${service.output().slice(-4000)}`);
    }
  }
  await stack?.stop();
});

type FuzzRequest = {
  path: string;
  query: string;
  body: string | undefined;
  headers: [string, string][];
};

/** Lone surrogates cannot be percent-encoded: they go as U+FFFD, as a browser sends them. */
const encodePart = (value: string) => encodeURIComponent(value.toWellFormed());

/** An id for a `{param}`: A's, B's, or anything but an id. */
function pathIdArbitrary(collection: string) {
  const own = stack.tenantA.ids[collection] ?? "";
  const other = stack.tenantB.ids[collection] ?? "";
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

const queryArbitrary = () =>
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
          fc.constantFrom(...Object.values(stack.tenantB.ids)),
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

function bodyArbitrary(endpoint: Endpoint) {
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
      fc.array(hostileValue(stack.tenantB), { minLength: fields.length, maxLength: fields.length }),
      fc.dictionary(fc.string({ maxLength: 12 }), hostileValue(stack.tenantB), { maxKeys: 2 }),
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
    .tuple(fc.constantFrom("", ...references), fc.constantFrom(...tenantBMarks()))
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

function requestArbitrary(endpoint: Endpoint) {
  const params = [...endpoint.path.matchAll(/\/([^/]+)\/\{[^}]+\}/g)].map(
    (match) => match[1] ?? "",
  );
  return fc
    .record({
      ids: fc.tuple(...params.map(pathIdArbitrary)),
      query: queryArbitrary(),
      body: bodyArbitrary(endpoint),
      contentType: contentTypeArbitrary,
      // A duplicated content-type arrives joined with a comma.
      duplicateContentType: fc.boolean(),
      headers: extraHeadersArbitrary,
    })
    .map(({ ids, query, body, contentType, duplicateContentType, headers }): FuzzRequest => {
      let next = 0;
      const path = pathWithIds(endpoint.path, stack.tenantA.ids, () => ids[next++] ?? "");
      const all: [string, string][] = [...headers];
      if (contentType !== undefined) {
        all.push(["content-type", contentType]);
        if (duplicateContentType) all.push(["content-type", contentType]);
      }
      return { path, query, body, headers: all };
    });
}

/** B's identifiers: none may reach A in a successful answer that A did not send itself. */
function tenantBMarks(): string[] {
  const b = stack.tenantB;
  return [b.id, b.slug, b.owner.userId, b.admin.userId, ...Object.values(b.ids)];
}

/** The request in a few hundred characters, for a failure message. */
function describeRequest(request: FuzzRequest): string {
  const cut = (value: string) =>
    value.length > 120 ? `${value.slice(0, 120)}…(${value.length})` : value;
  const headers = request.headers.map(([name, value]) => `${name}: ${JSON.stringify(cut(value))}`);
  return `${cut(request.path)}${cut(request.query)} [${headers.join("; ")}] body ${JSON.stringify(cut(request.body ?? "<none>"))}`;
}

let firstDefect: string | undefined;
// The request before a failing one goes in its message: on a keep-alive connection it can be the
// cause (an unread body once cost the next request its connection).
let previous = "";

async function send(endpoint: Endpoint, request: FuzzRequest): Promise<void> {
  try {
    await sendOnce(endpoint, request);
  } catch (error) {
    firstDefect ??= `${(error as Error).message} — ${endpoint.method} ${describeRequest(request)} (after ${previous})`;
    throw error;
  } finally {
    previous = `${endpoint.method} ${describeRequest(request)}`;
  }
}

async function sendOnce(endpoint: Endpoint, request: FuzzRequest): Promise<void> {
  counts.requests++;
  const headers = new Headers({ authorization: `Bearer ${stack.tenantA.owner.token}` });
  for (const [name, value] of request.headers) headers.append(name, value);
  const method = endpoint.method;
  let response: Response;
  try {
    response = await fetch(`${stack.oryn.gatewayUrl}${request.path}${request.query}`, {
      method,
      headers,
      body: method === "GET" || method === "HEAD" ? undefined : request.body,
      // A hung request is a defect too, not a stuck suite.
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    counts.serverErrors++;
    const cause = (error as Error & { cause?: Error }).cause;
    throw new Error(`no answer (${cause?.message ?? error}): ${method} ${request.path}`);
  }
  const text = await response.text();
  const what = `${method} ${request.path}${request.query.slice(0, 200)} → ${response.status}: ${text.slice(0, 300)}`;
  if (response.status >= 500) counts.serverErrors++;
  const defect = problemDefect(response.status, response.headers.get("content-type"), text);
  if (defect) throw new Error(`${defect}: ${what}`);
  if (response.status < 300) {
    // A's text may quote B's ids (a project named after one): that comes back, and is no leak.
    // B's id in a path, or as a reference (`assigneeId`, `userId`) in an accepted answer, is.
    const sent = `${request.path}${request.query}${request.body ?? ""}`;
    const references = new Set(idReferences(text));
    const seen = tenantBMarks().filter(
      (mark) =>
        (text.includes(mark) && !sent.includes(mark)) ||
        request.path.includes(mark) ||
        references.has(mark),
    );
    if (seen.length) {
      counts.leaks++;
      throw new Error(`tenant B's ${seen.join(", ")} reached A: ${what}`);
    }
  }
}

/** Every value of an `id` or `...Id` field in a JSON answer. */
function idReferences(text: string): string[] {
  const found: string[] = [];
  try {
    JSON.parse(text, (key, value) => {
      if ((key === "id" || key.endsWith("Id")) && typeof value === "string") found.push(value);
      return value;
    });
  } catch {
    // Not JSON (an export's archive): nothing to look at.
  }
  return found;
}

/** B's own view of every GET endpoint, with B's ids. */
async function snapshotOfB(): Promise<Record<string, unknown>> {
  const snapshot: Record<string, unknown> = {};
  for (const endpoint of stack.endpoints.filter((e) => e.method === "GET")) {
    const path = pathWithIds(endpoint.path, stack.tenantB.ids);
    const answer = await stack.call("GET", path, { token: stack.tenantB.owner.token });
    snapshot[path] = { status: answer.status, json: answer.json };
  }
  return snapshot;
}

/** Requests naming one of B's objects where A's would go: a path slot, a body reference. */
function crossTenantRequests(endpoint: Endpoint): FuzzRequest[] {
  const b = stack.tenantB;
  const slots = [...endpoint.path.matchAll(/\/([^/]+)\/\{[^}]+\}/g)].map((match) => match[1] ?? "");
  const sample = sampleBody(endpoint.document, endpoint.operation);
  const json: [string, string][] = [["content-type", "application/json"]];
  const withIds = (pick: (collection: string, slot: number) => string) => {
    let slot = 0;
    return pathWithIds(endpoint.path, stack.tenantA.ids, (collection) => pick(collection, slot++));
  };
  const requests: FuzzRequest[] = slots.map((_, target) => ({
    path: withIds((collection, slot) =>
      slot === target ? (b.ids[collection] ?? "") : (stack.tenantA.ids[collection] ?? ""),
    ),
    query: "",
    body: sample === undefined ? undefined : JSON.stringify(sample),
    headers: json,
  }));
  const ownPath = withIds((collection) => stack.tenantA.ids[collection] ?? "");
  for (const field of bodyFields(endpoint.document, endpoint.operation)) {
    if (!field.endsWith("Id")) continue;
    for (const id of tenantBMarks()) {
      requests.push({
        path: ownPath,
        query: "",
        body: JSON.stringify({ ...(sample as object), [field]: id }),
        headers: json,
      });
    }
  }
  for (const parameter of endpoint.operation.parameters ?? []) {
    if (parameter.in !== "query" || !parameter.name.endsWith("Id")) continue;
    for (const id of tenantBMarks()) {
      requests.push({
        path: ownPath,
        query: `?${parameter.name}=${id}`,
        body: undefined,
        headers: json,
      });
    }
  }
  return requests;
}

function record(fault: string, detail: Record<string, unknown>) {
  recordFault({
    fault,
    provoked: counts.cases,
    requests: counts.requests,
    clientErrors: counts.serverErrors,
    dataLost: 0,
    crossTenantLeaks: counts.leaks,
    detail: { cases: counts.cases, endpoints: stack.endpoints.length, seed: fuzzSeed, ...detail },
  });
}

beforeEach(() => {
  Object.assign(counts, { cases: 0, requests: 0, serverErrors: 0, leaks: 0 });
  defects.length = 0;
});

describe("fuzz: every endpoint of the OpenAPI documents", () => {
  let before: Record<string, unknown>;
  beforeAll(async () => {
    before = await snapshotOfB();
    expect(await snapshotOfB(), "B's snapshot is stable when nothing happens").toEqual(before);
  });

  // First, while all of A's fixtures exist: the hostile requests below may delete some.
  it("refuses B's ids in A's paths, body references and filters", async () => {
    for (const endpoint of stack.endpoints) {
      for (const request of crossTenantRequests(endpoint)) {
        try {
          await send(endpoint, request);
        } catch (error) {
          defects.push((error as Error).message);
        }
        counts.cases++;
      }
    }
    expect(defects).toEqual([]);
    record("fuzz: B's ids in A's requests", {});
  });

  it("answers hostile requests without a 5xx, always with problem+json", async () => {
    const runs = fuzzRuns(40);
    for (const [index, endpoint] of stack.endpoints.entries()) {
      try {
        await fc.assert(
          fc.asyncProperty(requestArbitrary(endpoint), async (request) => {
            await send(endpoint, request);
          }),
          { seed: fuzzSeed + index, numRuns: runs, includeErrorInReport: true },
        );
      } catch (error) {
        // The first failing case as sent (fast-check's report holds whole megabyte bodies).
        defects.push(`seed ${fuzzSeed + index}: ${firstDefect ?? String(error).slice(0, 500)}`);
        firstDefect = undefined;
      }
      counts.cases += runs;
    }
    expect(defects).toEqual([]);
    record("fuzz: hostile requests to every endpoint", { runs });
  }, 300_000);

  it("leaves tenant B's data as B sees it", async () => {
    expect(await snapshotOfB(), "B's data as B sees it, after A's fuzzing").toEqual(before);
  });
});
