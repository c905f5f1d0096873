/**
 * Headers the gateway puts on answers whichever service made them, added to every operation of
 * the merged document here rather than to each route's definition (workspace and billing do not
 * know them): X-Request-Id on every answer (packages/shared/src/http.ts), and the rate-limit
 * headers on every `/v1` answer, refusals included (rate-limit/rate-limits.ts).
 */
const requestId = {
  "X-Request-Id": {
    description: "The request's id, also in problem bodies and in the logs: quote it when asking",
    required: true,
    schema: { type: "string", format: "uuid" },
  },
};

const rateLimits = {
  "RateLimit-Policy": {
    description:
      'The windows this request was counted in (draft-ietf-httpapi-ratelimit-headers), e.g. `"tenant-burst";q=20;w=1, "tenant";q=600;w=60`',
    required: true,
    schema: { type: "string" },
  },
  RateLimit: {
    description:
      'What is left of the window closest to running out, e.g. `"tenant";r=599;t=60`; absent only while no limiter could count',
    required: false,
    schema: { type: "string" },
  },
};

const methods = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);

type Response = { headers?: Record<string, unknown> };

/** Declared once under `components.headers`, referred to from every response (~35 × 8 of them). */
export function addEdgeHeaders(document: {
  paths?: Record<string, unknown>;
  components?: Record<string, Record<string, unknown>>;
}): void {
  document.components ??= {};
  const components = document.components;
  components.headers = { ...components.headers, ...requestId, ...rateLimits };
  const ref = (names: object) =>
    Object.fromEntries(
      Object.keys(names).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
    );
  const everywhere = ref(requestId);
  const onV1 = { ...ref(rateLimits), ...everywhere };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, unknown>)) {
      if (!methods.has(method)) continue;
      const responses = (operation as { responses?: Record<string, Response> }).responses ?? {};
      for (const response of Object.values(responses)) {
        response.headers = {
          ...(path.startsWith("/v1/") ? onV1 : everywhere),
          ...response.headers,
        };
      }
    }
  }
}
