import { type Answer, type CallOptions, jsonCaller } from "@oryn/testing/http";

/** What a fault's clients sent and saw, for the test's assertions and its recordFault line. */
export type CallCounts = {
  requests: number;
  /** 5xx answers, timeouts (no answer within `timeoutMs`) and connection errors. */
  clientErrors: number;
  timeouts: number;
  connectionErrors: number;
  /** Answers by status; `timeout` and `error` for those with none. */
  statuses: Record<string, number>;
  /** The first few timeouts' and connection errors' messages, to say what went wrong. */
  errors: string[];
};

/**
 * `jsonCaller` against a running gateway that counts every request and gives up on any that
 * takes longer than `timeoutMs`: a hang is answered as status 0 (`timedOut`), never waited out,
 * so a fault test both sees it and finishes.
 */
export function countedCaller(baseUrl: string, options: { timeoutMs?: number } = {}) {
  const counts: CallCounts = {
    requests: 0,
    clientErrors: 0,
    timeouts: 0,
    connectionErrors: 0,
    statuses: {},
    errors: [],
  };
  const note = (key: string) => {
    counts.statuses[key] = (counts.statuses[key] ?? 0) + 1;
  };
  const raw = jsonCaller((path, init) =>
    fetch(`${baseUrl}${path}`, {
      ...init,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    }),
  );
  const call = async (
    method: string,
    path: string,
    callOptions: CallOptions = {},
  ): Promise<Answer & { timedOut: boolean; failed: boolean }> => {
    counts.requests++;
    try {
      const answer = await raw(method, path, callOptions);
      note(String(answer.status));
      if (answer.status >= 500) counts.clientErrors++;
      return { ...answer, timedOut: false, failed: false };
    } catch (error) {
      counts.clientErrors++;
      const timedOut = (error as Error).name === "TimeoutError";
      if (timedOut) counts.timeouts++;
      else counts.connectionErrors++;
      const cause = (error as Error & { cause?: Error }).cause;
      if (counts.errors.length < 10) {
        counts.errors.push(
          `${new Date().toISOString()} ${method} ${path}: ${error}${cause ? ` (${cause})` : ""}`,
        );
      }
      note(timedOut ? "timeout" : "error");
      return { status: 0, headers: new Headers(), json: undefined, timedOut, failed: !timedOut };
    }
  };
  return { call, counts };
}
