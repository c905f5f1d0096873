import { createRoute } from "@hono/zod-openapi";
import { type App, beginRetryingDeadlocks, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { refreshBody } from "./schemas.ts";
import {
  clearRefreshCookie,
  presentedRefreshToken,
  sessionCookieHeaders,
  sessionRequest,
} from "./session-cookie.ts";
import { logOut } from "./sessions.ts";

const route = createRoute({
  method: "post",
  operationId: "logOut",
  path: "/v1/auth/logout",
  ...publicAccess("anyone"),
  tags: ["Auth"],
  summary:
    "End the refresh token's session: its refresh tokens at once, its access tokens within seconds",
  description:
    "In cookie mode (`X-Oryn-Session: cookie`) the session is the cookie's, the body is `{}`, and the answer removes the cookie.",
  request: sessionRequest(refreshBody),
  responses: {
    204: { description: "Logged out", headers: sessionCookieHeaders },
    ...problemResponses(400, 401, 403, 415, 422, 429, 503),
  },
});

export function registerLogOut(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const refreshToken = presentedRefreshToken(c, c.req.valid("json"));
    // First: the cookie's removal goes with the answer even if ending the session fails below
    // (a 503 or 429 carries it too), so a browser never keeps a session it was told is over.
    clearRefreshCookie(c);
    if (refreshToken) {
      await beginRetryingDeadlocks(deps.sql, (tx) => logOut(tx, refreshToken));
      // This process refuses the session's access tokens from now on, the others within a poll.
      await deps.revocations.refresh().catch(() => undefined);
    }
    return c.body(null, 204);
  });
}
