import { randomBytes } from "node:crypto";
import { createRoute } from "@hono/zod-openapi";
import { type App, idempotencyKeyHeaders, onceForKey, problemResponses } from "@oryn/shared";
import { assertTenantWritable } from "../access/restricted-tenants.ts";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { createdScimTokenSchema, createScimTokenBody, type ScimToken } from "./schemas.ts";
import { createScimToken, derivedScimToken, newScimToken, rederivedScimToken } from "./tokens.ts";

const route = createRoute({
  method: "post",
  operationId: "createScimToken",
  path: "/v1/scim/tokens",
  tags: ["Enterprise sign-in"],
  summary: "Create a SCIM token for /scim/v2; the token is shown once",
  description:
    "The bearer token an identity provider (Okta, Entra ID) provisions this tenant's people with, at `/scim/v2` (RFC 7644). Stored only as a hash; made by people, not API keys. With an `Idempotency-Key`, a replay shows the same token again (it is derived, never stored).",
  ...personAccess("owner"),
  request: {
    headers: idempotencyKeyHeaders,
    body: { content: { "application/json": { schema: createScimTokenBody } }, required: true },
  },
  responses: {
    201: {
      description: "The token",
      content: { "application/json": { schema: createdScimTokenSchema } },
    },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerCreateScimToken(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], input);
    await assertTenantWritable(deps.sql, caller.principal.tenantId);
    const secrets = deps.tokens.keys.refreshTokenKeys;
    const salt = randomBytes(16).toString("base64url");
    const [secret] = secrets;
    const token = idempotency && secret ? derivedScimToken(secret, salt) : newScimToken();
    // The stored answer holds the salt, never the token.
    const answer = await deps.sql.begin((tx) =>
      onceForKey<ScimToken & { tokenSalt: string }>(tx, idempotency, async () => {
        const { token: _shownOnce, ...created } = await createScimToken(tx, caller, input, token);
        return { status: 201, body: { ...created, tokenSalt: salt }, headers: {} };
      }),
    );
    const { tokenSalt, ...shown } = answer.body;
    const shownToken = answer.replayed
      ? await rederivedScimToken(deps.sql, shown.id, tokenSalt, secrets)
      : token;
    setAnswerHeaders(c, answer);
    return c.json({ ...shown, token: shownToken }, 201);
  });
}
