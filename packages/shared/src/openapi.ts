import { z } from "@hono/zod-openapi";

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({
      example: "validation_failed",
      description: "Stable and machine-readable; the list is in the API guide (docs/api.md)",
    }),
    requestId: z.string().openapi({ description: "Also in the X-Request-Id header" }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "Each field that was refused, with why" }),
  })
  .openapi("Problem", {
    description: "An error, as application/problem+json (RFC 9457) with Oryn's `code`",
  });

const descriptions: Record<number, string> = {
  400: "The body is not JSON, or not the shape this operation takes (`invalid_json`, `bad_request`, `invalid_signature`)",
  401: "No credential, or a bad, expired or revoked one (`unauthorized`, `invalid_credentials`, `invalid_token`)",
  402: "The tenant's plan does not allow more of this (`plan_limit_reached`); a higher plan does",
  403: "The role is too low, or the tenant is restricted to reads (`forbidden`, `tenant_restricted`)",
  404: "Absent, or another tenant's (`not_found`)",
  409: "Conflict with the current state, or the tenant is still being provisioned (`tenant_not_ready`, with Retry-After)",
  412: "The If-Match ETag is stale (`precondition_failed`)",
  413: "The body is over the limit (`payload_too_large`)",
  415: "The body is not JSON (`unsupported_media_type`)",
  422: "The request does not fit the schema; `errors` names each field (`validation_failed`, `idempotency_key_reused`)",
  429: "Over a rate limit (`rate_limited`); try again after Retry-After seconds",
  502: "An upstream (Stripe) refused the request (`upstream_unavailable`)",
  503: "An upstream service or the tenant's database is unavailable (`upstream_unavailable`); Retry-After when known",
};

const stringSchema = { type: "string" } as const;

/**
 * Response headers as the OpenAPI document declares them, for the routes that send them. The
 * gateway adds the ones it sets on every answer itself (X-Request-Id, RateLimit, RateLimit-Policy;
 * services/gateway/src/docs/edge-headers.ts).
 */
export const responseHeaders = {
  etag: {
    ETag: {
      description: "The resource's version; send it back in If-Match to change only this version",
      required: true,
      schema: { ...stringSchema, example: '"3"' },
    },
  },
  location: (example: string) => ({
    Location: {
      description: "Where the created resource can be read",
      required: true,
      schema: { ...stringSchema, example },
    },
  }),
  idempotentReplayed: {
    "Idempotent-Replayed": {
      description:
        "`true` when this is the stored answer to an earlier request with the same Idempotency-Key; absent otherwise",
      required: false,
      schema: { type: "string" as const, enum: ["true"] },
    },
  },
  retryAfter: (required: boolean) => ({
    "Retry-After": {
      description: "Seconds to wait before trying again",
      required,
      schema: { type: "integer" as const, minimum: 1, example: 5 },
    },
  }),
};

/** Which problem answers carry Retry-After, and whether always. */
const retryAfterByStatus: Record<number, boolean> = { 409: false, 429: true, 503: false };

/** The problem+json answers a route can give, for its OpenAPI entry. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? "Error",
        ...(Object.hasOwn(retryAfterByStatus, status)
          ? { headers: responseHeaders.retryAfter(retryAfterByStatus[status] ?? false) }
          : {}),
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
