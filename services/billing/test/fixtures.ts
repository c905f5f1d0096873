import { randomBytes, randomUUID } from "node:crypto";
import { connect, createLogger, parseConfig, type Role, type Sql } from "@oryn/shared";
import { test as kit } from "@oryn/testing";
import { serviceEnv, type TestRun } from "@oryn/testing/context";
import { type FakeStripe, startFakeStripe } from "@oryn/testing/fake-stripe";
import { jsonCaller } from "@oryn/testing/http";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { tokenSigner } from "@oryn/testing/tokens";
import { createBillingApp } from "../src/app.ts";
import { createBillingDeps } from "../src/deps.ts";
import { billingEnv } from "../src/env.ts";
import { createBillingJobs } from "../src/jobs/billing-jobs.ts";

export const webhookSecret = "whsec_billing_test_secret_0123456789";

/**
 * Billing in-process against `run`'s control plane and Redis and a fake Stripe, wired as main.ts
 * wires it; the worker starts only when a test asks. Tokens are signed with a key pair this
 * fixture holds.
 */
export async function billingInProcess(
  run: TestRun,
  fake: FakeStripe | undefined,
  overrides: Record<string, string> = {},
) {
  const signer = await tokenSigner();
  const config = parseConfig(billingEnv, {
    ...serviceEnv(run),
    ...(fake?.env() ?? {}),
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    // Straight to BullMQ's retries: the stripe client's own would only slow the tests.
    STRIPE_MAX_NETWORK_RETRIES: "0",
    STRIPE_TIMEOUT_MS: "3000",
    BILLING_CONCURRENCY: "8",
    ...overrides,
  });
  const logger = createLogger("billing-test", process.env.ORYN_TEST_LOG_LEVEL ?? "silent");
  const deps = createBillingDeps(config, logger, {
    webhookSecret,
    keys: signer.keys,
  });
  const app = createBillingApp(deps);
  const jobs = createBillingJobs(config, deps);
  const workers: Array<ReturnType<typeof jobs.startWorker>> = [];
  const admin: Sql = connect(run.controlPlaneUrl, { max: 4 });

  const tokenFor = (tenantId: string, role: Role = "owner") => signer.tokenFor(tenantId, { role });

  /** A tenant row as the provisioner leaves it: active, on the free plan. */
  async function activeTenant(status = "active"): Promise<string> {
    const id = randomUUID();
    await admin`
      insert into tenants (id, slug, name, status)
      values (${id}, ${`b-${id.slice(0, 8)}`}, 'Billing test', ${status})`;
    return id;
  }

  const call = jsonCaller((path, init) => Promise.resolve(app.request(path, init)));

  return {
    config,
    deps,
    /** The request-path Stripe client; only with a fake Stripe. */
    get stripe() {
      if (!deps.stripe) throw new Error("billing was built without a Stripe key");
      return deps.stripe;
    },
    app,
    jobs,
    admin,
    call,
    tokenFor,
    activeTenant,
    /** Posts a webhook body with the given Stripe-Signature. */
    webhook: (payload: string, signature: string) =>
      call("POST", "/webhooks/stripe", {
        raw: payload,
        headers: { "stripe-signature": signature },
      }),
    startWorker() {
      const worker = jobs.startWorker();
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await jobs.close();
      await deps.close();
      await admin.end();
    },
  };
}

/**
 * The kit's fixtures and billing's, each for the whole file: `billingRun`, a control plane of the
 * file's own (billing's sweep acts on every tenant of its control plane, see isolatedRun);
 * `stripe`, a fake Stripe the file's tests share; `billing`, billing in-process against both,
 * built with `billingOverrides` (a file changes them with `test.override`).
 */
export const test = kit
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern.
  .extend("billingRun", { scope: "file" }, async ({}, { onCleanup }) => {
    const run = await isolatedRun(`billing_${randomBytes(3).toString("hex")}`);
    onCleanup(() => run.drop());
    return run;
  })
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern.
  .extend("stripe", { scope: "file" }, async ({}, { onCleanup }) => {
    const stripe = await startFakeStripe();
    onCleanup(() => stripe.close());
    return stripe;
  })
  .extend("billingOverrides", { scope: "file" }, (): Record<string, string> => ({}))
  .extend(
    "billing",
    { scope: "file" },
    async ({ billingRun, stripe, billingOverrides }, { onCleanup }) => {
      const billing = await billingInProcess(billingRun, stripe, billingOverrides);
      onCleanup(() => billing.close());
      return billing;
    },
  );

export type Billing = Awaited<ReturnType<typeof billingInProcess>>;

export { describe, expect } from "@oryn/testing";
export { eventually } from "@oryn/testing/wait";
