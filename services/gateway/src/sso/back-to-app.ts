import type { AppEnv } from "@oryn/shared";
import type { Context } from "hono";
import { deleteCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { flowCookie } from "./settings.ts";

/** The answer of a sign-in's last browser leg (OIDC callback, SAML ACS), as documented. */
export const backToAppAnswer = {
  description: "Back to the app, with `code=` or `error=`",
  headers: {
    Location: {
      description: "The app's redirect_uri",
      required: true,
      schema: { type: "string" as const },
    },
  },
};

/**
 * Ends the browser's leg of a sign-in: the flow's cookie goes (with the options it was set
 * with), nothing of it is cached, and the browser goes back to the app.
 */
export function backToApp(c: Context<AppEnv>, target: URL, flowCookieOptions: CookieOptions) {
  deleteCookie(c, flowCookie, flowCookieOptions);
  c.header("cache-control", "no-store");
  return c.redirect(target.href, 302);
}
