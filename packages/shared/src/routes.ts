import { createRoute, type z } from "@hono/zod-openapi";
import { access } from "./access.ts";
import { idempotencyKeyHeaders } from "./control-plane/idempotency.ts";
import type { App } from "./http.ts";
import { problemResponses, responseHeaders } from "./openapi.ts";
import { type CursorCodec, pageQuery } from "./pages.ts";
import { principalOf, type Role } from "./tokens.ts";

/**
 * The OpenAPI heads every service's routes repeat. Each route still keeps its own file; what it
 * declares there is what differs (its path, words, schemas and problems), not the shape of a
 * create or a list, which is the API guide's (docs/api.md#idempotency, #lists).
 */
type RouteWords = {
  operationId: string;
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  /** The lowest role that may call it (see `access`). */
  minimum: Role;
  problems: number[];
};

// Any id will do in an example: it only shows where the new resource's id goes.
const exampleId = "0b7c2c6e-3f5e-4a63-9d57-6e2a1f4b8c10";

/**
 * A `POST` that creates one resource: a JSON body, an optional `Idempotency-Key`, and a 201 with
 * the resource and its Location (`path/{id}`; `location` for a nested one).
 */
export function createdRoute<B extends z.ZodType, S extends z.ZodType>(
  spec: RouteWords & {
    body: B;
    created: { description: string; schema: S; location?: string };
  },
) {
  const { minimum, problems, body, created, ...words } = spec;
  return createRoute({
    method: "post",
    ...words,
    ...access(minimum),
    request: {
      headers: idempotencyKeyHeaders,
      body: { content: { "application/json": { schema: body } }, required: true },
    },
    responses: {
      201: {
        description: created.description,
        headers: responseHeaders.location(created.location ?? `${spec.path}/${exampleId}`),
        content: { "application/json": { schema: created.schema } },
      },
      ...problemResponses(...problems),
    },
  });
}

/** A `GET` of one page of a tenant's list (docs/api.md#lists). */
export function listRoute<S extends z.ZodType>(
  spec: RouteWords & { page: { description: string; schema: S } },
) {
  const { minimum, problems, page, ...words } = spec;
  return createRoute({
    method: "get",
    ...words,
    ...access(minimum),
    request: { query: pageQuery },
    responses: {
      200: {
        description: page.description,
        content: { "application/json": { schema: page.schema } },
      },
      ...problemResponses(...problems),
    },
  });
}

/**
 * Registers a list: the caller's tenant and the page asked for (`limit`, and `after`, the key the
 * cursor carries, decoded by `cursor`: a 422 for one this API did not give) go to `load`.
 */
export function registerListRoute<S extends z.ZodType, K>(
  app: App,
  spec: Parameters<typeof listRoute<S>>[0],
  cursor: CursorCodec<K>,
  load: (tenantId: string, page: { limit: number; after: K | undefined }) => Promise<z.output<S>>,
): void {
  app.openapi(listRoute(spec), async (c) => {
    const { limit, cursor: given } = c.req.valid("query");
    const page = await load(principalOf(c).tenantId, { limit, after: cursor.decode(given) });
    return c.json(page as never, 200);
  });
}
