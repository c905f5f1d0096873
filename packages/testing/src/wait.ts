import type { components } from "@oryn/client";
import type { Answer, jsonCaller } from "./http.ts";

/** `promise`'s outcome, or a rejection naming `ms` if it has not settled by then: a hang fails. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `read` until `done` holds of its value; fails with the last value after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) {
      throw new Error(`not reached in time; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
    value = await read();
  }
  return value;
}

export const testPassword = "a long enough password";

type Schemas = components["schemas"];

/**
 * The 202 of `POST /v1/signup` with its documented body. `signUpAndWait` signs up in bearer mode
 * (no `X-Oryn-Session: cookie`), so the refresh token is in the body, not optional.
 */
export type SignupAnswer = Omit<Answer, "json"> & {
  json: Schemas["SignupAnswer"] & { tokens: Required<Schemas["Tokens"]> };
};

/**
 * Signs a company up through the gateway and polls `GET /v1/tenant` until it is active. Polls
 * count against the tenant's rate limit, so the interval is not too short; how long it takes is
 * for the benches to measure, not for tests to assert.
 */
export async function signUpAndWait(
  call: ReturnType<typeof jsonCaller>,
  options: { slug?: string; intervalMs?: number; timeoutMs?: number } = {},
): Promise<{
  slug: string;
  tenantId: string;
  userId: string;
  token: string;
  signup: SignupAnswer;
}> {
  const slug = options.slug ?? `t-${crypto.randomUUID().slice(0, 12)}`;
  const signup = await call("POST", "/v1/signup", {
    body: {
      company: { name: `Company ${slug}`, slug },
      owner: { email: `owner@${slug}.test`, password: testPassword, name: "Owner" },
    },
  });
  if (signup.status !== 202)
    throw new Error(`signup answered ${signup.status}: ${JSON.stringify(signup.json)}`);
  // A 202, so the body is the documented SignupAnswer: the one cast, here rather than at callers.
  const signedUp = signup as SignupAnswer;
  const token = signedUp.json.tokens.accessToken;
  await eventually(
    () => call("GET", "/v1/tenant", { token }),
    (answer) => answer.json?.status === "active",
    { intervalMs: options.intervalMs ?? 100, timeoutMs: options.timeoutMs ?? 60_000 },
  );
  return {
    slug,
    tenantId: signedUp.json.tenant.id,
    userId: signedUp.json.user.id,
    token,
    signup: signedUp,
  };
}
