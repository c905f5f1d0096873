import { z } from "@hono/zod-openapi";
import { ApiError, type AppEnv } from "@oryn/shared";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { Tokens } from "../tokens/issue-tokens.ts";

/**
 * Browser sessions ("cookie mode"), opted into per request with `X-Oryn-Session: cookie`: the
 * refresh token travels in an HttpOnly cookie that no script can read, scoped to /v1/auth (the
 * only routes that take it: refresh and logout), and the JSON answer leaves it out. The access
 * token stays in the page's memory. API consumers send no such header and see no cookie.
 */
export const sessionModeHeader = "x-oryn-session";

/**
 * `__Secure-`: a browser refuses the cookie unless it is set over HTTPS (or from localhost), so a
 * plain-HTTP page of the same site cannot plant or overwrite it.
 */
export const refreshCookieName = "__Secure-oryn-refresh";

/** The path that carries the cookie back: every route that reads it is under /v1/auth. */
export const refreshCookiePath = "/v1/auth";

/** Routes outside /v1/auth that answer tokens, and so may set the cookie. */
const issuingPaths = ["/v1/signup", "/v1/signup/confirm", "/v1/invitations/accept"];

const cookieOptions: CookieOptions & { secure: true } = {
  path: refreshCookiePath,
  httpOnly: true,
  secure: true,
  sameSite: "Strict",
};

/** The optional request header that turns cookie mode on, for the OpenAPI document. */
export const sessionModeHeaders = z.object({
  [sessionModeHeader]: z.enum(["cookie"]).optional().openapi({
    description:
      "`cookie` for a browser session: the refresh token is set as an `HttpOnly; Secure; SameSite=Strict` cookie on `/v1/auth` and left out of the JSON. Only from the console's own origin (`Sec-Fetch-Site: same-origin`, or an `Origin` of this host); otherwise 403 `cross_site_request`.",
  }),
});

/** `Set-Cookie` as declared in the document, for the answers that may carry it. */
export const sessionCookieHeaders = {
  "Set-Cookie": {
    description:
      "In cookie mode only (`X-Oryn-Session: cookie`): the refresh token's cookie (`__Secure-oryn-refresh`, `HttpOnly; Secure; SameSite=Strict; Path=/v1/auth`), or its removal.",
    schema: { type: "string" as const },
  },
};

/**
 * The request of a route that may open a session: `headers` (the cookie-mode header, with an
 * `Idempotency-Key` for signups) and a JSON body of `body`.
 */
export function sessionRequest<
  B extends z.ZodType,
  H extends z.ZodObject = typeof sessionModeHeaders,
>(body: B, headers: H = sessionModeHeaders as unknown as H) {
  return { headers, body: { content: { "application/json": { schema: body } }, required: true } };
}

/** An answer of such a route: `schema` as JSON, and in cookie mode the refresh token's cookie. */
export function sessionAnswer<S extends z.ZodType>(description: string, schema: S) {
  return {
    description,
    headers: sessionCookieHeaders,
    content: { "application/json": { schema } },
  };
}

export function inCookieMode(c: Context<AppEnv>): boolean {
  return c.req.header(sessionModeHeader) === "cookie";
}

/**
 * The refresh token a cookie-mode request carries in its cookie, if any. `__Secure-` stops pages
 * over http from setting the cookie, not an https sibling subdomain: it can plant a second cookie
 * of the name (Domain=the parent, a longer Path), which the browser sends first, to fix the
 * console to the planter's session. Two of the name are refused (401, and the cookie cleared):
 * the gateway's own cookie is never sent twice.
 */
export function refreshCookieOf(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("cookie") ?? "";
  const sent = header.split(";").filter((pair) => pair.trim().startsWith(`${refreshCookieName}=`));
  if (sent.length > 1) {
    clearRefreshCookie(c);
    throw new ApiError("unauthorized", {
      detail: "The session cookie was sent more than once: sign in again",
    });
  }
  return getCookie(c, refreshCookieName) || undefined;
}

/**
 * The refresh token of a refresh or logout: the body's, or in cookie mode the cookie's (never
 * both ways at once, so a page cannot be made to spend a token from elsewhere with the cookie's
 * authority).
 */
export function presentedRefreshToken(
  c: Context<AppEnv>,
  body: { refreshToken?: string | undefined },
): string | undefined {
  if (!inCookieMode(c)) {
    if (body.refreshToken === undefined) {
      throw new ApiError("validation_failed", {
        detail: "refreshToken is required (or, from the console, the session cookie)",
        errors: [{ path: "refreshToken", message: "Required" }],
      });
    }
    return body.refreshToken;
  }
  if (body.refreshToken !== undefined) {
    throw new ApiError("validation_failed", {
      detail: "In cookie mode the refresh token comes from the cookie, not the body",
      errors: [{ path: "refreshToken", message: "Not allowed with X-Oryn-Session: cookie" }],
    });
  }
  return refreshCookieOf(c);
}

/**
 * The JSON answer for freshly issued tokens: as they are for API consumers; in cookie mode the
 * refresh token goes into the cookie (living as long as the token does) and out of the JSON.
 */
export function deliverTokens(
  c: Context<AppEnv>,
  tokens: Tokens,
  refreshTtlSeconds: number,
): Tokens | Omit<Tokens, "refreshToken"> {
  if (!inCookieMode(c)) return tokens;
  const { refreshToken, ...rest } = tokens;
  setCookie(c, refreshCookieName, refreshToken, {
    ...cookieOptions,
    maxAge: refreshTtlSeconds,
  });
  return rest;
}

/** Removes the cookie (logout, or a refresh the server refused): the browser forgets it. */
export function clearRefreshCookie(c: Context<AppEnv>): void {
  if (inCookieMode(c)) deleteCookie(c, refreshCookieName, cookieOptions);
}

function cookieCapable(path: string): boolean {
  return path.startsWith(`${refreshCookiePath}/`) || issuingPaths.includes(path);
}

/**
 * Whether a request comes from a page of this origin. `Sec-Fetch-Site` is the browser's own word
 * and cannot be set by a page; without it (older browsers, non-browser clients), `Origin` must
 * name this host. Neither: refused, since a cookie-mode client is a browser (or says where it is).
 */
function sameOrigin(c: Context<AppEnv>): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("origin");
  if (!origin || origin === "null") return false;
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * CSRF protection of cookie-authenticated routes. SameSite=Strict keeps the cookie off requests
 * from other sites, but not from other origins of the same site (another port of the same host,
 * a sibling subdomain). So a request in cookie mode, or carrying the cookie, must also be
 * same-origin. Checked before the body is read, so a cross-site form post is refused as such,
 * whatever it sends. The opt-in header is itself the custom header a form cannot set and a
 * cross-origin script cannot send without a CORS preflight (which does not allow it).
 */
export function guardCookieSessions(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!cookieCapable(c.req.path)) return next();
    const cookie = c.req.header("cookie")?.includes(`${refreshCookieName}=`) ?? false;
    if ((cookie || inCookieMode(c)) && !sameOrigin(c)) {
      throw new ApiError("cross_site_request", {
        detail:
          "A cookie session is used only from the console's own origin (Sec-Fetch-Site: same-origin, or an Origin of this host)",
      });
    }
    return next();
  };
}
