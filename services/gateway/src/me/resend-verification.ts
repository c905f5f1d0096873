import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import { findUnverifiedUser } from "@oryn/shared/control-plane/tables/users";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import { verificationMail } from "../accounts/verification.ts";
import type { GatewayDeps } from "../deps.ts";
import { assertPerson } from "./profile.ts";

const route = createRoute({
  method: "post",
  path: "/v1/me/verify-email",
  operationId: "sendVerificationEmail",
  tags: ["Me"],
  summary: "Send a new link to verify your email address",
  ...access("member"),
  responses: {
    202: {
      description:
        "A link is on its way (nothing is sent if the address is verified); limited like password-reset requests to the same address",
    },
    ...problemResponses(401, 403, 429),
  },
});

export function registerResendVerification(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const principal = principalOf(c);
    assertPerson(principal);
    const user = await findUnverifiedUser(deps.sql, principal.userId);
    if (!user) return c.body(null, 202);
    // Counted with the reset requests to the same address: nobody floods an inbox from here.
    await deps.resetLimiter.consume(user.email, deps.clientIp(c));
    const mail = [await verificationMail(deps.sql, deps.accountTokens, user)];
    await sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, mail);
    return c.body(null, 202);
  });
}
