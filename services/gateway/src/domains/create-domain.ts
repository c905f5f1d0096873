import { createRoute } from "@hono/zod-openapi";
import {
  type App,
  access,
  idempotencyKeyHeaders,
  onceForKey,
  problemResponses,
  responseHeaders,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { callerOf } from "../lib/request.ts";
import { createDomain } from "./domains.ts";
import { createDomainBody, type Domain, domainSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  operationId: "createDomain",
  path: "/v1/domains",
  tags: ["Enterprise sign-in"],
  summary: "Claim a mail domain; publish the TXT record shown, then verify it",
  description:
    "Public suffixes (`com`, `co.uk`, `github.io`) and what is not a host name are refused with 422.",
  ...access("owner"),
  request: {
    headers: idempotencyKeyHeaders,
    body: { content: { "application/json": { schema: createDomainBody } }, required: true },
  },
  responses: {
    201: {
      description: "The pending claim, with the TXT record that proves it",
      headers: responseHeaders.location("/v1/domains/0b7c2c6e-3f5e-4a63-9d57-6e2a1f4b8c10"),
      content: { "application/json": { schema: domainSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 415, 422, 429),
  },
});

export function registerCreateDomain(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], input);
    const answer = await deps.sql.begin((tx) =>
      onceForKey<Domain>(tx, idempotency, async () => {
        const created = await createDomain(tx, caller, input);
        return { status: 201, body: created, headers: { location: `/v1/domains/${created.id}` } };
      }),
    );
    setAnswerHeaders(c, answer);
    return c.json(answer.body, 201);
  });
}
