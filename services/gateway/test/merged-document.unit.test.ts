import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "@oryn/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMergedDocument } from "../src/docs/merged-document.ts";

// A workspace stand-in whose document the test changes, counting how often it is asked.
let served: { openapi: string; info: object; paths: Record<string, object> } = {
  openapi: "3.1.0",
  info: {},
  paths: { "/v1/projects": { get: {} } },
};
let fetches = 0;
const upstream = createServer((_request, response) => {
  fetches++;
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify(served));
});
beforeAll(() => new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve)));
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

describe("the merged OpenAPI document", () => {
  it("is built once per upstream change, whoever asks and however often", async () => {
    let ownBuilds = 0;
    const merged = createMergedDocument({
      own: () => {
        ownBuilds++;
        return { openapi: "3.1.0", info: { title: "t", version: "1" }, paths: {} };
      },
      upstreams: [
        { name: "workspace", url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
      ],
      // Every call checks the upstream again: what is measured is what gets rebuilt.
      ttlMs: 0,
      logger: createLogger("merged-document-test", "silent"),
    });
    // Concurrent first requests share one fetch.
    const first = await Promise.all(Array.from({ length: 10 }, () => merged()));
    expect(fetches).toBe(1);
    expect(new Set(first).size).toBe(1);
    const built = first[0];
    // Unchanged upstream: the same built text, not a rebuilt copy.
    expect(await merged()).toBe(built);
    expect(fetches).toBe(2);
    // A change upstream: a new text and a new ETag.
    served = { ...served, paths: { "/v1/projects": { get: {} }, "/v1/audit-log": { get: {} } } };
    const changed = await merged();
    expect(changed.etag).not.toBe(built?.etag);
    expect(Object.keys(JSON.parse(new TextDecoder().decode(changed.body)).paths)).toContain(
      "/v1/audit-log",
    );
    expect(ownBuilds).toBe(1);
  });
});
