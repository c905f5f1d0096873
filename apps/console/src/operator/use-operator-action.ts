import { useCallback, useState } from "react";
import type { Failure } from "../problem.ts";
import { failureOfThrown, operatorFailureOf } from "./operator-session.tsx";

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** A write of the operator API: run it, keep its failure in words, say when it is busy. */
export function useOperatorAction() {
  const [failure, setFailure] = useState<Failure>();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async <T>(action: () => Promise<Answer<T>>): Promise<Answer<T> | undefined> => {
      setBusy(true);
      setFailure(undefined);
      try {
        const answer = await action();
        if (!answer.response.ok) setFailure(operatorFailureOf(answer.error, answer.response));
        return answer;
      } catch (thrown) {
        setFailure(failureOfThrown(thrown));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [],
  );
  return { failure, busy, run };
}
