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

/**
 * Text a person typed: trimmed, bounded, and free of NUL, which PostgreSQL text cannot store
 * (it would otherwise surface as a database error instead of a 422 naming the field).
 */
export function text(options: { min?: number; max: number; trim?: boolean }) {
  const base = options.trim === false ? z.string() : z.string().trim();
  return (
    base
      .min(options.min ?? 0)
      .max(options.max)
      .refine((value) => !value.includes("\u0000"), "must not contain NUL characters")
      // A lone surrogate would be stored as U+FFFD: the text would not round-trip.
      .refine((value) => value.isWellFormed(), "must be well-formed Unicode")
  );
}
