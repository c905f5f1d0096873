import { randomInt } from "node:crypto";
import { ApiError } from "@oryn/shared";

/** One window of a bucket, as the headers describe it. */
export type Window = { name: string; quota: number; windowSeconds: number };
/** What a window's limiter said of a request: requests left, and when the window resets. */
export type Count = { remainingPoints: number; msBeforeNext: number };
export type WindowCount = { policy: Window; state: Count };

/** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): every window of the bucket. */
export function policyHeader(windows: readonly Window[]): string {
  let header = policyHeaders.get(windows);
  if (header === undefined) {
    header = windows.map((w) => `"${w.name}";q=${w.quota};w=${w.windowSeconds}`).join(", ");
    policyHeaders.set(windows, header);
  }
  return header;
}

// A bucket's windows never change once made: their header is written once (a list is the key).
const policyHeaders = new WeakMap<readonly Window[], string>();

/** `RateLimit`: what is left of one window, and the seconds until it resets (rounded up). */
export function rateLimitHeader({ policy, state }: WindowCount): string {
  return `"${policy.name}";r=${Math.max(0, state.remainingPoints)};t=${Math.ceil(state.msBeforeNext / 1000)}`;
}

/** The window with the smallest share of its quota left: the one a client should watch. */
export function closestToLimit<T extends WindowCount>(counts: readonly [T, ...T[]] | T[]): T {
  return counts.reduce((a, b) =>
    b.state.remainingPoints / b.policy.quota < a.state.remainingPoints / a.policy.quota ? b : a,
  );
}

/** Of the windows that refused a request, the one that stays shut longest. */
export function longestRefusal<T extends WindowCount>(refused: T[]): T {
  return refused.reduce((a, b) => (b.state.msBeforeNext > a.state.msBeforeNext ? b : a));
}

/** The whole seconds until a window reopens, at least 1: Retry-After never says 0. */
function secondsUntil(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/**
 * Retry-After for a refusal: the whole seconds until the window reopens (at least 1), plus up to
 * a tenth of that again (at least 1 s) at random, so that clients refused together do not all
 * come back in the same instant.
 */
export function retryAfterSeconds(
  msBeforeNext: number,
  random: (min: number, max: number) => number = randomInt,
): number {
  const seconds = secondsUntil(msBeforeNext);
  return seconds + random(0, Math.max(1, Math.ceil(seconds / 10)) + 1);
}

/**
 * The 429 of a limit other than the request buckets (failed logins, codes, mail, edge windows):
 * `detail` says which, Retry-After the whole seconds until it reopens (at least 1).
 */
export function rateLimited(detail: string, msBeforeNext: number): ApiError {
  return new ApiError("rate_limited", {
    detail,
    headers: { "retry-after": String(secondsUntil(msBeforeNext)) },
  });
}
