import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import { provenAccount, requestEmailChange } from "../accounts/credentials.ts";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { assertPerson } from "./profile.ts";
import { changeEmailBody } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/me/email",
  operationId: "changeEmail",
  tags: ["Me"],
  summary: "Change your email address: it changes once the link mailed to the new one is followed",
  description:
    "A confirmation link goes to the new address (confirm with `POST /v1/auth/verify-email`) and a notice to the current one.",
  ...access("member"),
  request: {
    body: { content: { "application/json": { schema: changeEmailBody } }, required: true },
  },
  responses: {
    202: { description: "The confirmation link is on its way" },
    ...problemResponses(400, 401, 403, 409, 415, 422, 429),
  },
});

export function registerChangeEmail(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    assertPerson(caller.principal);
    const input = c.req.valid("json");
    const account = await provenAccount(deps, caller, input.password);
    const mail = await deps.sql.begin((tx) =>
      requestEmailChange(tx, caller, deps.accountTokens, { account, email: input.email }),
    );
    await sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, mail);
    return c.body(null, 202);
  });
}
