import { createHash } from "node:crypto";
import type { Logger } from "@oryn/shared";
import { servedBy, type upstreamPaths } from "../proxy/forwarding.ts";
import { addEdgeHeaders } from "./edge-headers.ts";

type Document = {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, unknown>;
  components?: Record<string, Record<string, unknown>>;
  tags?: { name: string }[];
  [key: string]: unknown;
};

/** One URL, or (workspace's replicas) the URLs to try in turn, healthy ones first. */
type Upstream = { name: keyof typeof upstreamPaths; url: string | (() => string[]) };

/** The merged document as it is served: its JSON, encoded once, and the strong ETag of it. */
export type BuiltDocument = { body: Uint8Array<ArrayBuffer>; etag: string };

/**
 * The public OpenAPI document: the gateway's own routes, and, from each upstream's document
 * (generated there from the zod schemas that validate its requests), the paths the gateway
 * forwards to it. Upstream documents are fetched again after `ttlMs`; an upstream that cannot be
 * reached leaves its paths out until it answers (and says so in `x-oryn-missing`), rather than
 * failing the whole document.
 *
 * Merging and serialising cost ~10 ms of CPU, so it is done once per change: the built text is
 * kept and served as is until an upstream's document differs from the one it was built from
 * (issue 21: rebuilding per request let a few clients slow every other route).
 */
export function createMergedDocument(options: {
  /** The gateway's own document (its routes only); read once, as they do not change. */
  own: () => object;
  upstreams: Upstream[];
  ttlMs: number;
  logger: Logger;
}): () => Promise<BuiltDocument> {
  let own: Document | undefined;
  // Each upstream's document text as last fetched (undefined: never reached).
  const fetched = new Map<string, string>();
  let checkedAt = Number.NEGATIVE_INFINITY;
  let built: { document: BuiltDocument; from: string } | undefined;
  let refreshing: Promise<BuiltDocument> | undefined;

  async function fetchUpstream(upstream: Upstream): Promise<void> {
    const urls = typeof upstream.url === "string" ? [upstream.url] : upstream.url();
    for (const url of urls) {
      try {
        const answer = await fetch(new URL("/openapi.json", url), {
          signal: AbortSignal.timeout(2_000),
        });
        if (!answer.ok) throw new Error(`answered ${answer.status}`);
        const text = await answer.text();
        JSON.parse(text);
        fetched.set(upstream.name, text);
        return;
      } catch (error) {
        // The next replica, if any; otherwise the last good copy stays in use.
        options.logger.warn(
          { err: error, upstream: upstream.name, url },
          "upstream OpenAPI unavailable",
        );
      }
    }
  }

  async function refresh(): Promise<BuiltDocument> {
    await Promise.all(options.upstreams.map(fetchUpstream));
    // An upstream never reached is asked again on the next request, not after the TTL: a
    // document with paths missing should not last longer than the outage.
    if (options.upstreams.every((upstream) => fetched.has(upstream.name))) checkedAt = Date.now();
    const from = JSON.stringify(options.upstreams.map((upstream) => fetched.get(upstream.name)));
    if (built?.from !== from) {
      own ??= structuredClone(options.own()) as Document;
      const body = new TextEncoder().encode(JSON.stringify(merge(own, options.upstreams, fetched)));
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
      built = { document: { body, etag }, from };
    }
    return built.document;
  }

  return () => {
    if (built && Date.now() - checkedAt < options.ttlMs) return Promise.resolve(built.document);
    // One refresh at a time, whoever asks while it runs waits for the same one.
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
}

function merge(own: Document, upstreams: Upstream[], fetched: Map<string, string>): Document {
  const merged = structuredClone(own);
  const paths = merged.paths ?? {};
  const components = merged.components ?? {};
  merged.paths = paths;
  merged.components = components;
  const tags = new Map((merged.tags ?? []).map((tag) => [tag.name, tag]));
  const missing: string[] = [];
  for (const upstream of upstreams) {
    const text = fetched.get(upstream.name);
    if (text === undefined) {
      missing.push(upstream.name);
      continue;
    }
    const document = JSON.parse(text) as Document;
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (servedBy(upstream.name, path) && !Object.hasOwn(paths, path)) paths[path] = item;
    }
    for (const [section, entries] of Object.entries(document.components ?? {})) {
      components[section] = { ...entries, ...components[section] };
    }
    for (const tag of document.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
  }
  if (tags.size > 0) merged.tags = [...tags.values()];
  if (missing.length > 0) merged["x-oryn-missing"] = missing;
  addEdgeHeaders(merged);
  return merged;
}
