import { type App, createdRoute, onceForKey } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { callerOf } from "../lib/request.ts";
import { createDomain } from "./domains.ts";
import { createDomainBody, type Domain, domainSchema } from "./schemas.ts";

const route = createdRoute({
  operationId: "createDomain",
  path: "/v1/domains",
  tags: ["Enterprise sign-in"],
  summary: "Claim a mail domain; publish the TXT record shown, then verify it",
  description:
    "Public suffixes (`com`, `co.uk`, `github.io`) and what is not a host name are refused with 422.",
  minimum: "owner",
  body: createDomainBody,
  created: {
    description: "The pending claim, with the TXT record that proves it",
    schema: domainSchema,
  },
  problems: [400, 401, 403, 409, 415, 422, 429],
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
