import { serviceEnv, type TestRun } from "@oryn/testing/context";
import { type FakeStripe, startFakeStripe } from "@oryn/testing/fake-stripe";
import { jsonCaller } from "@oryn/testing/http";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { collectEndpoints, type Endpoint } from "@oryn/testing/openapi-endpoints";
import { type PopulatedTenant, populatedTenant } from "@oryn/testing/populated-tenant";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { eventually } from "@oryn/testing/wait";

/**
 * The fuzz suite's settings: a fixed seed, so a failure in CI replays the same cases locally,
 * printed and overridable (FUZZ_SEED), and a run count to scale up by hand (FUZZ_RUNS).
 */
export const fuzzSeed = Number(process.env.FUZZ_SEED ?? 9_2026);
export function fuzzRuns(defaultRuns: number): number {
  return Number(process.env.FUZZ_RUNS ?? defaultRuns);
}

export type FuzzStack = {
  /** The stack's own control plane and Redis prefix (its queued mail is read there). */
  run: TestRun;
  oryn: Oryn;
  call: ReturnType<typeof jsonCaller>;
  endpoints: Endpoint[];
  tenantA: PopulatedTenant;
  tenantB: PopulatedTenant;
  stop(): Promise<void>;
};

/**
 * The four real services, the fake Stripe billing calls, and two populated tenants A and B, on a
 * control plane and Redis prefix of their own: the fault files before this one leave debris on
 * the run's (jobs of stacks they killed, tenants stuck on servers they stopped) that this stack's
 * provisioner and sweep would otherwise take up ahead of A's and B's signups.
 */
export async function startFuzzStack(): Promise<FuzzStack> {
  console.log(`[oryn fuzz] FUZZ_SEED=${fuzzSeed} (set FUZZ_SEED, FUZZ_RUNS to change)`);
  // Two fuzz files use it; a name each, should they ever run side by side.
  const run = await isolatedRun(`fuzz_${crypto.randomUUID().slice(0, 6)}`);
  let stripe: FakeStripe | undefined;
  let oryn: Oryn | undefined;
  const stop = async () => {
    await oryn?.stop();
    await stripe?.close();
    await run.drop();
  };
  try {
    stripe = await startFakeStripe();
    oryn = await startOryn(serviceEnv(run), {
      billing: stripe.env(),
      // The fuzz sends thousands of requests as one tenant from one address: limits are tested
      // elsewhere, and a 429 here would only hide what the fuzz is after.
      gateway: {
        RATE_LIMIT_TENANT_PER_MINUTE: "10000000",
        RATE_LIMIT_REFUSED_PER_MINUTE: "10000000",
        LOGIN_MAX_FAILURES_PER_IP_PER_DAY: "10000000",
        // Its forged Stripe webhooks must reach billing's checks, not the edge's 429.
        WEBHOOK_REFUSALS_PER_IP_PER_MINUTE: "10000000",
      },
    });
    const started = oryn;
    const call = jsonCaller((path, init) => fetch(`${started.gatewayUrl}${path}`, init));
    const [tenantA, tenantB] = await Promise.all([
      populatedTenant(call, run, "fuzz-a"),
      populatedTenant(call, run, "fuzz-b"),
    ]);
    // Each tenant's export finishes in the background: B's snapshot must not change under it.
    for (const tenant of [tenantA, tenantB]) {
      await eventually(
        () =>
          call("GET", `/v1/tenant/exports/${tenant.ids.exports}`, { token: tenant.owner.token }),
        (answer) => answer.json?.status === "ready",
      );
    }
    return { run, oryn, call, endpoints: await collectEndpoints(oryn), tenantA, tenantB, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What `answer` must be when it is an error: problem+json with type, title and its status. */
export function problemDefect(
  status: number,
  contentType: string | null,
  text: string,
): string | undefined {
  if (status >= 500) return `a ${status}`;
  if (status < 400) return undefined;
  if (!contentType?.startsWith("application/problem+json")) {
    return `a ${status} with content-type ${contentType}`;
  }
  let body: { type?: unknown; title?: unknown; status?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return `a ${status} whose problem+json does not parse`;
  }
  if (typeof body.type !== "string" || typeof body.title !== "string" || body.status !== status) {
    return `a ${status} whose problem lacks type, title or the status`;
  }
  return undefined;
}
