import { randomBytes } from "node:crypto";
import { type App, createdRoute, onceForKey } from "@oryn/shared";
import { assertMayHandOutAccess } from "../access/restricted-tenants.ts";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { callerOf } from "../lib/request.ts";
import { createApiKey, derivedApiKey, newApiKey, rederivedApiKey } from "./api-keys.ts";
import { type ApiKey, createApiKeyBody, createdApiKeySchema } from "./schemas.ts";

const route = createdRoute({
  operationId: "createApiKey",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key, with a role no higher than your own; the key is shown once",
  description:
    "Needs a verified email address (403 `email_unverified`). With an `Idempotency-Key`, a replay shows the same key again (it is derived, never stored).",
  minimum: "admin",
  body: createApiKeyBody,
  created: { description: "The key", schema: createdApiKeySchema },
  problems: [400, 401, 403, 409, 415, 422, 429],
});

export function registerCreateApiKey(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], input);
    await assertMayHandOutAccess(deps.sql, caller.principal);
    const secrets = deps.tokens.keys.refreshTokenKeys;
    const salt = randomBytes(16).toString("base64url");
    const [secret] = secrets;
    const generated = idempotency && secret ? derivedApiKey(secret, salt) : newApiKey();
    // The stored answer holds the salt, never the key.
    const answer = await deps.sql.begin((tx) =>
      onceForKey<ApiKey & { keySalt: string }>(tx, idempotency, async () => {
        const { key: _shownOnce, ...created } = await createApiKey(tx, caller, input, generated);
        const location = `/v1/api-keys/${created.id}`;
        return { status: 201, body: { ...created, keySalt: salt }, headers: { location } };
      }),
    );
    const { keySalt, ...shown } = answer.body;
    const key = answer.replayed
      ? await rederivedApiKey(deps.sql, shown.id, keySalt, secrets)
      : generated.key;
    setAnswerHeaders(c, answer);
    return c.json({ ...shown, key }, 201);
  });
}
