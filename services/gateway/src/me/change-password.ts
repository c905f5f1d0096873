import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import { changePassword, provenAccount } from "../accounts/credentials.ts";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { hashPassword } from "../passwords/passwords.ts";
import { assertPerson } from "./profile.ts";
import { changePasswordBody } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/me/password",
  operationId: "changePassword",
  tags: ["Me"],
  summary: "Change your password; your other sessions end",
  description:
    "Every other session (refresh-token family) is revoked and every access token issued before stops working within the revocation poll; this session's refresh token keeps working and its next refresh gives a fresh access token.",
  ...access("member"),
  request: {
    body: { content: { "application/json": { schema: changePasswordBody } }, required: true },
  },
  responses: {
    204: { description: "Changed" },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerChangePassword(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    assertPerson(caller.principal);
    const input = c.req.valid("json");
    const account = await provenAccount(deps, caller, input.currentPassword);
    const newPasswordHash = await hashPassword(input.newPassword);
    const mail = await deps.sql.begin((tx) =>
      changePassword(tx, caller, { account, newPasswordHash }),
    );
    await sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, mail);
    return c.body(null, 204);
  });
}
