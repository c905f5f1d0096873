import { createRoute } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  idempotencyKeyHeaders,
  onceForKey,
  problemResponses,
  publicAccess,
} from "@oryn/shared";
import {
  deliverTokens,
  sessionAnswer,
  sessionModeHeaders,
  sessionRequest,
} from "../auth/session-cookie.ts";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { auditContextOf } from "../lib/request.ts";
import { confirmSignup } from "./pending-signups.ts";
import { confirmSignupBody, signupAnswer } from "./schemas.ts";
import { afterSignup, type FreshSignup, type StoredSignup } from "./signups.ts";

const route = createRoute({
  method: "post",
  operationId: "confirmSignup",
  path: "/v1/signup/confirm",
  ...publicAccess("anyone"),
  tags: ["Signup"],
  summary: "Finish a signup confirmed by mail: the tenant is created and provisioned",
  description:
    "Only where the deployment confirms signups by mail (`SIGNUP_CONFIRMATION=email`; elsewhere 404). The token of the mailed link creates the tenant, its owner (the address counts as verified) and the membership, as `POST /v1/signup` does without confirmation. A taken slug is a 409 that leaves the token unspent: send it again with another `slug`.",
  request: sessionRequest(
    confirmSignupBody,
    idempotencyKeyHeaders.extend(sessionModeHeaders.shape),
  ),
  responses: {
    202: sessionAnswer("Accepted; poll GET /v1/tenant until status is active", signupAnswer),
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429),
  },
});

export function registerConfirmSignup(app: App, deps: GatewayDeps): void {
  const confirmByMail = deps.config.SIGNUP_CONFIRMATION === "email";
  app.openapi(route, async (c) => {
    if (!confirmByMail) {
      throw new ApiError("not_found", { detail: "Signups are not confirmed by mail here" });
    }
    const context = auditContextOf(c, deps);
    const input = c.req.valid("json");
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], input);
    let fresh: FreshSignup | undefined;
    const answer = await deps.sql.begin((tx) =>
      onceForKey<StoredSignup>(tx, idempotency, async () => {
        const { tokens, ...created } = await confirmSignup(tx, deps.tokens, context, input);
        // The link proved the address: no verification mail.
        fresh = { tokens, mail: [] };
        return { status: 202, body: created, headers: {} };
      }),
    );
    setAnswerHeaders(c, answer);
    const done = await afterSignup(deps, c.get("logger"), context, answer.body, fresh);
    return c.json(
      { ...done, tokens: deliverTokens(c, done.tokens, deps.tokens.refreshTtlSeconds) },
      202,
    );
  });
}
