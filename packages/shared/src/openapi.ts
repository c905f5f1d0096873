import { z } from "@hono/zod-openapi";

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: "validation_failed" }),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const descriptions: Record<number, string> = {
  400: "The body is not JSON",
  401: "No credential, or a bad, expired or revoked one",
  403: "The role is too low",
  404: "Absent, or another tenant's",
  409: "Conflict, or the tenant is still being provisioned",
  412: "The If-Match ETag is stale",
  413: "The body is over the limit",
  415: "The body is not JSON",
  422: "The body does not fit the schema",
  429: "Over the rate limit; see Retry-After",
  503: "An upstream service or the tenant's database is unavailable",
};

/** The problem+json answers a route can give, for its OpenAPI entry. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? "Error",
        content: { "application/problem+json": { schema: problemSchema } },
      },
    ]),
  );
}
