import { createRoute } from "@hono/zod-openapi";
import {
  type App,
  idempotencyKeyHeaders,
  onceForKey,
  problemResponses,
  publicAccess,
} from "@oryn/shared";
import { verificationMail } from "../accounts/verification.ts";
import { sessionAnswer, sessionModeHeaders, sessionRequest } from "../auth/session-cookie.ts";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { auditContextOf } from "../lib/request.ts";
import { hashPassword } from "../passwords/passwords.ts";
import { answerSignup } from "./answer-signup.ts";
import { requestSignup } from "./pending-signups.ts";
import { signupAnswer, signupBody, signupPendingAnswer } from "./schemas.ts";
import { signUp } from "./signups.ts";

/**
 * The route as this deployment answers it: the document (and a client generated from it) shows
 * the mailed-confirmation answer only where SIGNUP_CONFIRMATION=email, so the default contract,
 * `{tenant, user, tokens}`, stays exactly as fixed.
 */
const routeFor = (confirmByMail: boolean) =>
  createRoute({
    method: "post",
    operationId: "signUp",
    path: "/v1/signup",
    ...publicAccess("anyone"),
    tags: ["Signup"],
    summary: "Sign a company up; its workspace is provisioned in the background",
    description:
      'With an `Idempotency-Key`, the same body again within 24 h answers the same tenant and user, with fresh tokens (tokens are never stored). Where the deployment confirms signups by mail (`SIGNUP_CONFIRMATION=email`), the answer is `{status: "confirmation_sent"}` whatever the address, the address is mailed a link (or, if it has an account, a notice), and `POST /v1/signup/confirm` with the link\'s token creates the tenant.',
    request: sessionRequest(signupBody, idempotencyKeyHeaders.extend(sessionModeHeaders.shape)),
    responses: {
      202: sessionAnswer(
        "Accepted; poll GET /v1/tenant until status is active. A link to verify the owner's address is mailed to it.",
        confirmByMail ? signupPendingAnswer : signupAnswer,
      ),
      ...problemResponses(400, 403, 409, 413, 415, 422, 429),
    },
  });

export function registerSignUp(app: App, deps: GatewayDeps): void {
  const confirmByMail = deps.config.SIGNUP_CONFIRMATION === "email";
  app.openapi(routeFor(confirmByMail), async (c) => {
    const context = auditContextOf(c, deps);
    const input = c.req.valid("json");
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], input);
    // Counted for every address alike, before anything about it is known.
    if (confirmByMail) await deps.signupMailLimiter.consume(input.owner.email, context.ip);
    // Hashed before the transaction: argon2 takes tens of milliseconds.
    const passwordHash = await hashPassword(input.owner.password);

    if (confirmByMail) {
      let fresh = false;
      const answer = await deps.sql.begin((tx) =>
        onceForKey(tx, idempotency, async () => {
          fresh = true;
          return { status: 202, body: { status: "confirmation_sent" as const }, headers: {} };
        }),
      );
      if (fresh) {
        const ttlSeconds = deps.config.SIGNUP_CONFIRMATION_TTL_SECONDS;
        void requestSignup({ ...deps, logger: c.get("logger"), ttlSeconds }, context, {
          ...input,
          passwordHash,
        });
      }
      setAnswerHeaders(c, answer);
      return c.json(answer.body, 202);
    }

    const body = await answerSignup(c, deps, context, idempotency, async (tx) => {
      const { tokens, ...stored } = await signUp(tx, deps.tokens, context, {
        ...input,
        passwordHash,
      });
      const mail = [await verificationMail(tx, deps.accountTokens, stored.user)];
      return { stored, fresh: { tokens, mail } };
    });
    return c.json(body, 202);
  });
}
