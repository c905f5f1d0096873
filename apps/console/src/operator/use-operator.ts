import { useAction, useResource } from "../resource.ts";
import { operatorFailureOf } from "./operator-session.tsx";

type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * The tenant pages' `useResource` and `useAction`, with refusals in an operator's words (a 401
 * says the operator token was refused, not that a session ended).
 */
export function useOperatorResource<T>(load: () => Promise<Answer<T>>, key: string) {
  return useResource(load, key, operatorFailureOf);
}

export function useOperatorAction() {
  return useAction(operatorFailureOf);
}
