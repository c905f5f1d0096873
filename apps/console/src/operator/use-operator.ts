import { useCallback, useEffect, useState } from "react";
import type { Failure } from "../problem.ts";
import { failureOfThrown, operatorFailureOf } from "./operator-session.tsx";

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** One GET of the operator API: data, failure in operator's words, reload; again when `key` changes. */
export function useOperatorResource<T>(load: () => Promise<Answer<T>>, key: string) {
  const [data, setData] = useState<T>();
  const [failure, setFailure] = useState<Failure>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `load` is a new closure each render; `key` says when it loads something else.
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then(({ data, error, response }) => {
        if (!current) return;
        setFailure(data === undefined ? operatorFailureOf(error, response) : undefined);
        setData(data);
      })
      .catch((thrown) => current && setFailure(failureOfThrown(thrown)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, failure, loading, reload, setData };
}
