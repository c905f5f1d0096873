import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.ts";

export type { components, paths };
/** A problem+json error body, as every error of the API is. */
export type Problem = components["schemas"]["Problem"];

/**
 * A typed client for Oryn's public API: paths, parameters, bodies and answers are checked
 * against the OpenAPI document at compile time. `token` (an access token or an `oryn_` API key)
 * goes into every request's Authorization header; it may be a function, for tokens that change.
 *
 *   const oryn = createOrynClient({ baseUrl: "https://api.example.com", token });
 *   const { data, error, response } = await oryn.POST("/v1/projects", { body: { name: "Q3" } });
 */
export function createOrynClient(options: {
  baseUrl: string;
  token?: string | (() => string | undefined);
  fetch?: typeof fetch;
}) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const auth: Middleware = {
    onRequest({ request }) {
      const token = typeof options.token === "function" ? options.token() : options.token;
      if (token) request.headers.set("authorization", `Bearer ${token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}

export type OrynClient = ReturnType<typeof createOrynClient>;
