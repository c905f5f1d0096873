import { useCallback, useEffect, useState } from "react";
import { type Failure, failureOf, failureOfThrown } from "./problem.ts";

type Answer<T> = { data?: T; error?: unknown; response: Response };
/** How a refused answer is put in words: the tenant pages' `failureOf`, or the operators' own. */
export type Describe = (error: unknown, response?: Response) => Failure;

/**
 * One GET through the typed client: its data, the ETag it came with (for If-Match), a failure in
 * words, and `reload`. `load` is called again when `key` changes (the route's ids).
 */
export function useResource<T>(
  load: () => Promise<Answer<T>>,
  key: string,
  describe: Describe = failureOf,
) {
  const [data, setData] = useState<T>();
  const [etag, setEtag] = useState<string>();
  const [failure, setFailure] = useState<Failure>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const [loads, setLoads] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `load` is a new closure each render; `key` says when it loads something else.
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then(({ data, error, response }) => {
        if (!current) return;
        setFailure(data === undefined ? describe(error, response) : undefined);
        setData(data);
        setEtag(response.headers.get("etag") ?? undefined);
        setLoads((count) => count + 1);
      })
      .catch((thrown) => current && setFailure(failureOfThrown(thrown)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [key, generation]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  // `loads` counts completed loads: a form keyed on it starts again from what a reload brought
  // (a save's setData does not count, so the form and its "Saved" notice stay).
  return { data, etag, failure, loading, reload, setData, setEtag, loads };
}

/** A write's outcome: run it, keep its failure in words, say when it is busy. */
export function useAction(describe: Describe = failureOf) {
  const [failure, setFailure] = useState<Failure>();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async <T>(action: () => Promise<Answer<T>>): Promise<Answer<T> | undefined> => {
      setBusy(true);
      setFailure(undefined);
      try {
        const answer = await action();
        if (!answer.response.ok) setFailure(describe(answer.error, answer.response));
        return answer;
      } catch (thrown) {
        setFailure(failureOfThrown(thrown));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [describe],
  );
  return { failure, busy, run, setFailure };
}
