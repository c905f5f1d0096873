import { type components, createOrynClient, type OrynClient } from "@oryn/client";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from "react";

type Tokens = components["schemas"]["Tokens"];
export type Role = "owner" | "admin" | "member";

/** What the console knows of the signed-in user, read from the access token's claims. */
export type Session = { userId: string; tenantId: string; role: Role };

// The access token lives in this module's memory only: never localStorage, sessionStorage or a
// readable cookie, so a script injected into the page finds nothing that outlives it. The refresh
// token is not the page's at all: the API keeps it in an HttpOnly cookie on /v1/auth (cookie
// mode), which the browser sends to refresh and logout only. A reload restores the session by
// asking for a new access token with that cookie.
let accessToken: string | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

// Where the API sets or reads the refresh cookie: these requests ask for cookie mode. The header
// is also the CSRF proof: a form on another site cannot send it.
const cookieRoutes = /^\/v1\/(auth\/|signup(\/confirm)?$|invitations\/accept$)/;

/** The one API client of the console: same origin, so no CORS and no base URL to configure. */
export const api: OrynClient = createOrynClient({
  baseUrl: window.location.origin,
  token: () => accessToken,
});

// The provider's way to hear that the API refused the access token (expired while the tab slept
// past its refresh, or the session ended): it asks the cookie for a new one, and forgets the
// session when there is none; the page then asks to sign in again, coming back after.
let onSessionRefused: (() => Promise<Tokens | undefined>) | undefined;
api.use({
  onRequest({ request }) {
    if (cookieRoutes.test(new URL(request.url).pathname)) {
      request.headers.set("x-oryn-session", "cookie");
    }
    return request;
  },
  async onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    // A refused sign-in or link is the page's own error to show, not the end of a session.
    const own = path.startsWith("/v1/auth/") || path === "/v1/invitations/accept";
    if (response.status !== 401 || !accessToken || own) return response;
    // A wrong password where the API asks for one (a change of email, turning two-factor off)
    // is `invalid_credentials`: the page says so. Only `unauthorized` is about the session.
    const problem = await response
      .clone()
      .json()
      .catch(() => undefined);
    if (problem?.code !== "unauthorized") return response;
    const tokens = await onSessionRefused?.();
    // A read is asked again with the new token; a write is not repeated behind the person's
    // back (its page shows the refusal, and pressing again works).
    if (!tokens || request.method !== "GET") return response;
    const again = new Request(request);
    again.headers.set("authorization", `Bearer ${tokens.accessToken}`);
    return fetch(again);
  },
});

function claimsOf(token: string): Session {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  const claims = JSON.parse(json) as { sub: string; tid: string; role: Role };
  return { userId: claims.sub, tenantId: claims.tid, role: claims.role };
}

/** A new access token for the cookie's session; none when there is no (live) cookie. */
async function refreshWithCookie(): Promise<Tokens | undefined> {
  const { data } = await api
    .POST("/v1/auth/refresh", { body: {} })
    .catch(() => ({ data: undefined }));
  return data;
}

// One restore per page load, shared by every caller (React may mount the provider twice); one
// refresh for however many requests were refused at once.
let restoring: Promise<Tokens | undefined> | undefined;
let refusal: Promise<Tokens | undefined> | undefined;

type SessionContext = {
  session: Session | undefined;
  /** True until the page has asked whether the cookie still holds a session (after a reload). */
  restoring: boolean;
  /** Keeps the access token (in memory) and refreshes it with the cookie before it expires. */
  start(tokens: Tokens): void;
  end(): Promise<void>;
};

const Context = createContext<SessionContext | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [restored, setRestored] = useState(false);

  const forget = useCallback(() => {
    accessToken = undefined;
    clearTimeout(refreshTimer);
    setSession(undefined);
  }, []);

  const start = useCallback(
    (tokens: Tokens) => {
      accessToken = tokens.accessToken;
      setSession(claimsOf(tokens.accessToken));
      setRestored(true);
      clearTimeout(refreshTimer);
      // A minute before expiry (or at half-life for short tokens): requests never carry an
      // expired token, so no request has to be replayed after a 401.
      const lead = Math.min(60, tokens.expiresIn / 2);
      refreshTimer = setTimeout(
        async () => {
          const next = await refreshWithCookie();
          if (next) start(next);
          else forget();
        },
        (tokens.expiresIn - lead) * 1000,
      );
    },
    [forget],
  );

  // A 401 `unauthorized`: the access token expired unrefreshed (a tab asleep past its timer) or
  // the session ended. The cookie tells which: a new access token, or signed out.
  onSessionRefused = () => {
    refusal ??= refreshWithCookie().finally(() => {
      refusal = undefined;
    });
    return refusal.then((tokens) => {
      if (tokens) start(tokens);
      else forget();
      return tokens;
    });
  };

  useEffect(() => {
    restoring ??= refreshWithCookie();
    let current = true;
    restoring.then((tokens) => {
      if (!current) return;
      // A sign-in that finished meanwhile wins over the restore.
      if (tokens && !accessToken) start(tokens);
      setRestored(true);
    });
    return () => {
      current = false;
    };
  }, [start]);

  const end = useCallback(async () => {
    // Ends the session on the server and clears the cookie (the answer's Set-Cookie; the gateway
    // sends it even when ending the session fails). A refusal before the route runs (429) keeps
    // the cookie, and a reload would sign the person in again: asked once more after the wait.
    const logOut = () => api.POST("/v1/auth/logout", { body: {} }).catch(() => undefined);
    const first = await logOut();
    if (first?.response.status === 429) {
      const seconds = Number(first.response.headers.get("retry-after") ?? "1");
      await new Promise((resolve) => setTimeout(resolve, Math.min(5, Math.max(1, seconds)) * 1000));
      await logOut();
    }
    forget();
  }, [forget]);

  const value = useMemo(
    () => ({ session, restoring: !restored, start, end }),
    [session, restored, start, end],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useSession(): SessionContext {
  const context = useContext(Context);
  if (!context) throw new Error("useSession outside SessionProvider");
  return context;
}

/** The signed-in session; only for pages under RequireSession. */
export function useSignedIn(): Session {
  const { session } = useSession();
  if (!session) throw new Error("useSignedIn without a session");
  return session;
}

export function atLeast(role: Role, minimum: Role): boolean {
  const rank = { member: 0, admin: 1, owner: 2 } as const;
  return rank[role] >= rank[minimum];
}
