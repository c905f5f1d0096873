import { createRoute } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  idempotencyKeyHeaders,
  problemResponses,
  publicAccess,
} from "@oryn/shared";
import { sessionAnswer, sessionModeHeaders, sessionRequest } from "../auth/session-cookie.ts";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf } from "../lib/idempotency.ts";
import { auditContextOf } from "../lib/request.ts";
import { answerSignup } from "./answer-signup.ts";
import { confirmSignup } from "./pending-signups.ts";
import { confirmSignupBody, signupAnswer } from "./schemas.ts";

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
    const body = await answerSignup(c, deps, context, idempotency, async (tx) => {
      const { tokens, ...stored } = await confirmSignup(tx, deps.tokens, context, input);
      // The link proved the address: no verification mail.
      return { stored, fresh: { tokens, mail: [] } };
    });
    return c.json(body, 202);
  });
}
