import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { verifyDomain } from "./domains.ts";
import { domainSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  operationId: "verifyDomain",
  path: "/v1/domains/{id}/verify",
  tags: ["Enterprise sign-in"],
  summary: "Read the domain's TXT record now and mark it verified when it holds the value",
  description:
    "409 `domain_not_verified` while the record is missing or wrong; 409 `domain_taken` when another tenant has verified the domain; 503 when DNS does not answer.",
  ...access("owner"),
  request: { params: idParams },
  responses: {
    200: {
      description: "The verified domain",
      content: { "application/json": { schema: domainSchema } },
    },
    ...problemResponses(401, 403, 404, 409, 422, 429, 503),
  },
});

export function registerVerifyDomain(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const domain = await verifyDomain(
      deps.sql,
      callerOf(c, deps),
      c.req.valid("param").id,
      deps.readTxt,
    );
    return c.json(domain, 200);
  });
}
