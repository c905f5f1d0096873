import { type components, createOrynClient, type OrynClient } from "@oryn/client";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";

type Tokens = components["schemas"]["Tokens"];
export type Role = "owner" | "admin" | "member";

/** What the console knows of the signed-in user, read from the access token's claims. */
export type Session = { userId: string; tenantId: string; role: Role };

// Tokens live in this module's memory only: never localStorage, sessionStorage or a readable
// cookie, so a script injected into the page finds nothing that outlives it. A reload signs the
// user out; the sign-in page then returns to the page they were on (`?next=`).
let accessToken: string | undefined;
let refreshToken: string | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

/** The one API client of the console: same origin, so no CORS and no base URL to configure. */
export const api: OrynClient = createOrynClient({
  baseUrl: window.location.origin,
  token: () => accessToken,
});

// The provider's way to hear that the API refused the session (revoked, expired, the tenant
// deleted): the console then forgets it, and the page asks to sign in again, coming back after.
let onSessionRefused: (() => void) | undefined;
api.use({
  onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    // A refused sign-in or link is the page's own error to show, not the end of a session.
    const own = path.startsWith("/v1/auth/") || path === "/v1/invitations/accept";
    if (response.status === 401 && accessToken && !own) {
      onSessionRefused?.();
    }
    return response;
  },
});

function claimsOf(token: string): Session {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  const claims = JSON.parse(json) as { sub: string; tid: string; role: Role };
  return { userId: claims.sub, tenantId: claims.tid, role: claims.role };
}

type SessionContext = {
  session: Session | undefined;
  /** Keeps the tokens (in memory) and refreshes the access token before it expires. */
  start(tokens: Tokens): void;
  end(): Promise<void>;
};

const Context = createContext<SessionContext | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | undefined>(undefined);

  const forget = useCallback(() => {
    accessToken = undefined;
    refreshToken = undefined;
    clearTimeout(refreshTimer);
    setSession(undefined);
  }, []);

  onSessionRefused = forget;

  const start = useCallback(
    (tokens: Tokens) => {
      accessToken = tokens.accessToken;
      refreshToken = tokens.refreshToken;
      setSession(claimsOf(tokens.accessToken));
      clearTimeout(refreshTimer);
      // A minute before expiry (or at half-life for short tokens): requests never carry an
      // expired token, so no request has to be replayed after a 401.
      const lead = Math.min(60, tokens.expiresIn / 2);
      refreshTimer = setTimeout(
        async () => {
          if (!refreshToken) return;
          const { data } = await api.POST("/v1/auth/refresh", { body: { refreshToken } });
          if (data) start(data);
          else forget();
        },
        (tokens.expiresIn - lead) * 1000,
      );
    },
    [forget],
  );

  const end = useCallback(async () => {
    if (refreshToken) await api.POST("/v1/auth/logout", { body: { refreshToken } });
    forget();
  }, [forget]);

  const value = useMemo(() => ({ session, start, end }), [session, start, end]);
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
