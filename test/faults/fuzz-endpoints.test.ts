/**
 * Fuzz: every operation of the OpenAPI documents, sent hostile bodies, headers, query strings,
 * path ids, content types and sizes by tenant A's owner, against A's ids and B's. Never a 5xx,
 * every 4xx problem+json, nothing of B's seen by A or changed (B's own view of every GET endpoint
 * is compared before and after). No endpoint is skipped: the Stripe webhook cannot be reached
 * past its signature check by a fuzz, but garbage there must still be a 4xx problem+json.
 */

import type { Endpoint } from "@oryn/testing/openapi-endpoints";
import { pathWithIds } from "@oryn/testing/openapi-endpoints";
import { bodyFields, sampleBody } from "@oryn/testing/sample-body";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FuzzRequest, requestArbitrary, type Tenants, tenantBMarks } from "./fuzz-requests.ts";
import { type FuzzStack, fuzzRuns, fuzzSeed, problemDefect, startFuzzStack } from "./fuzz-stack.ts";
import { recordFault } from "./report.ts";

let stack: FuzzStack;
const tenants = (): Tenants => ({ a: stack.tenantA, b: stack.tenantB });
const counts = { cases: 0, requests: 0, serverErrors: 0, leaks: 0, closedOversized: 0 };

// Node's HTTP parser refuses a request whose head passes 16 KiB (431) and closes the connection.
// A client still sending a large body then may see its write fail (EPIPE, ECONNRESET) instead of
// the 431: closing is allowed for a request the server will not read (RFC 9110 §15.5.20), so for
// such requests, and only those, a closed connection is counted rather than called a defect.
const headLimitBytes = 16 * 1024;
function headTooLarge(request: FuzzRequest): boolean {
  let size = request.path.length + request.query.length;
  for (const [name, value] of request.headers) size += name.length + value.length + 4;
  return size > headLimitBytes;
}
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
    const cause = (error as Error & { cause?: Error }).cause;
    if (headTooLarge(request) && !(error instanceof DOMException)) {
      counts.closedOversized++;
      return;
    }
    counts.serverErrors++;
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
    // A public operation's path id is no tenant's secret: our SAML SP metadata is served to
    // anyone under its connection's id (the IdP reads it unauthenticated), naming only our URLs.
    const publicPath = endpoint.operation["x-oryn-min-role"] === "anyone";
    const seen = tenantBMarks(tenants()).filter(
      (mark) =>
        (text.includes(mark) && !sent.includes(mark)) ||
        (request.path.includes(mark) && !publicPath) ||
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

/**
 * B's own view of every GET endpoint, with B's ids. Operator routes hold nothing of B's (B's
 * owner is refused there, and each refusal carries its own request id).
 */
async function snapshotOfB(): Promise<Record<string, unknown>> {
  const snapshot: Record<string, unknown> = {};
  // A tenant's reads: not the operator's, nor public ones (SSO's browser legs), which hold no
  // tenant data and answer problems with a fresh request id each time.
  const tenantReads = stack.endpoints.filter(
    (e) =>
      e.method === "GET" &&
      !["operator", "anyone"].includes(String(e.operation["x-oryn-min-role"])),
  );
  for (const endpoint of tenantReads) {
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
    for (const id of tenantBMarks(tenants())) {
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
    for (const id of tenantBMarks(tenants())) {
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
    detail: {
      cases: counts.cases,
      endpoints: stack.endpoints.length,
      seed: fuzzSeed,
      closedOnOversizedHead: counts.closedOversized,
      ...detail,
    },
  });
}

beforeEach(() => {
  Object.assign(counts, { cases: 0, requests: 0, serverErrors: 0, leaks: 0, closedOversized: 0 });
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
    // Discovery finding nothing would make both tests below pass without a request: 35 today.
    expect(stack.endpoints.length, "endpoints found in the OpenAPI documents").toBeGreaterThan(30);
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
          fc.asyncProperty(requestArbitrary(tenants(), endpoint), async (request) => {
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
