import type { Logger } from "@oryn/shared";
import { servedBy, type upstreamPaths } from "../proxy/forwarding.ts";

type Document = {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, unknown>;
  components?: Record<string, Record<string, unknown>>;
  tags?: { name: string }[];
  [key: string]: unknown;
};

type Upstream = { name: keyof typeof upstreamPaths; url: string };

/**
 * The public OpenAPI document: the gateway's own routes, and, from each upstream's document
 * (generated there from the zod schemas that validate its requests), the paths the gateway
 * forwards to it. Upstream documents are fetched and kept for `ttlMs`; an upstream that cannot
 * be reached leaves its paths out until it answers (and says so in `x-oryn-missing`), rather
 * than failing the whole document.
 */
export function createMergedDocument(options: {
  /** The gateway's own document (its routes only). */
  own: () => object;
  upstreams: Upstream[];
  ttlMs: number;
  logger: Logger;
}): () => Promise<Document> {
  const cache = new Map<string, { document: Document; at: number }>();

  async function upstreamDocument(upstream: Upstream): Promise<Document | undefined> {
    const hit = cache.get(upstream.name);
    if (hit && Date.now() - hit.at < options.ttlMs) return hit.document;
    try {
      const answer = await fetch(new URL("/openapi.json", upstream.url), {
        signal: AbortSignal.timeout(2_000),
      });
      if (!answer.ok) throw new Error(`answered ${answer.status}`);
      const document = (await answer.json()) as Document;
      cache.set(upstream.name, { document, at: Date.now() });
      return document;
    } catch (error) {
      options.logger.warn({ err: error, upstream: upstream.name }, "upstream OpenAPI unavailable");
      return hit?.document;
    }
  }

  return async () => {
    const merged = structuredClone(options.own()) as Document;
    const paths = merged.paths ?? {};
    const components = merged.components ?? {};
    merged.paths = paths;
    merged.components = components;
    const tags = new Map((merged.tags ?? []).map((tag) => [tag.name, tag]));
    const missing: string[] = [];
    const documents = await Promise.all(options.upstreams.map(upstreamDocument));
    options.upstreams.forEach((upstream, index) => {
      const document = documents[index];
      if (!document) {
        missing.push(upstream.name);
        return;
      }
      for (const [path, item] of Object.entries(document.paths ?? {})) {
        if (servedBy(upstream.name, path) && !(path in paths)) paths[path] = item;
      }
      for (const [section, entries] of Object.entries(document.components ?? {})) {
        components[section] = { ...entries, ...components[section] };
      }
      for (const tag of document.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
    });
    if (tags.size > 0) merged.tags = [...tags.values()];
    if (missing.length > 0) merged["x-oryn-missing"] = missing;
    return merged;
  };
}
