import { createOrynClient, type OrynClient } from "@oryn/client";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";
import { Navigate, Outlet, useLocation } from "react-router";
import { type Failure, failureOf, failureOfThrown } from "../problem.ts";

// The operator token lives in this module's memory only, like the tenant session's tokens: never
// in storage or a cookie. A reload asks for it again. It is a separate client from the tenant
// session's, so neither credential ever travels with the other's requests.
let operatorToken: string | undefined;

/** The operator area's API client: the operator token on every request, same origin. */
export const operatorApi: OrynClient = createOrynClient({
  baseUrl: window.location.origin,
  token: () => operatorToken,
});

let onRefused: (() => void) | undefined;
operatorApi.use({
  onResponse({ response }) {
    if (response.status === 401 && operatorToken) onRefused?.();
    return response;
  },
});

type OperatorContext = {
  signedIn: boolean;
  start(token: string): void;
  end(): void;
};

const Context = createContext<OperatorContext | undefined>(undefined);

export function OperatorSessionProvider({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState(false);
  const end = useCallback(() => {
    operatorToken = undefined;
    setSignedIn(false);
  }, []);
  onRefused = end;
  const start = useCallback((token: string) => {
    operatorToken = token;
    setSignedIn(true);
  }, []);
  const value = useMemo(() => ({ signedIn, start, end }), [signedIn, start, end]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useOperatorSession(): OperatorContext {
  const context = useContext(Context);
  if (!context) throw new Error("useOperatorSession outside OperatorSessionProvider");
  return context;
}

/** Operator pages: anyone without the operator token goes to its sign-in, and back after. */
export function RequireOperator() {
  const { signedIn } = useOperatorSession();
  const location = useLocation();
  if (!signedIn) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/operator/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

// The tenant side's sentences speak to a tenant's people; these to an operator.
const operatorSentences: Record<string, string> = {
  unauthorized: "The operator token was refused. Sign in again with the current OPERATOR_TOKEN.",
  forbidden:
    "A tenant's credential cannot open the operator area. Sign in with the operator token.",
  conflict: "Only a tenant whose provisioning failed can be retried.",
  not_found: "There is no such tenant.",
};

export function operatorFailureOf(error: unknown, response?: Response): Failure {
  const failure = failureOf(error, response);
  const code = (error as { code?: string } | undefined)?.code;
  const sentence = code ? operatorSentences[code] : undefined;
  return sentence ? { ...failure, title: sentence } : failure;
}

export { failureOfThrown };
