import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import { recordUserEvent } from "../accounts/verification.ts";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { assertPerson, profileOf, renameUser } from "./profile.ts";
import { profileSchema, updateProfileBody } from "./schemas.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/me",
  operationId: "updateMe",
  tags: ["Me"],
  summary: "Change your name",
  ...access("member"),
  request: {
    body: { content: { "application/json": { schema: updateProfileBody } }, required: true },
  },
  responses: {
    200: { description: "The profile", content: { "application/json": { schema: profileSchema } } },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerUpdateMe(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    assertPerson(caller.principal);
    const { name } = c.req.valid("json");
    const profile = await deps.sql.begin(async (tx) => {
      await renameUser(tx, caller.principal.userId, name);
      await recordUserEvent(tx, caller, caller.principal.userId, "profile_updated", { name });
      return profileOf(tx, caller.principal.userId);
    });
    return c.json(profile, 200);
  });
}
