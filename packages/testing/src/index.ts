import { test as base } from "vitest";
import { serviceEnv, testRun } from "./context.ts";
import { startFakeStripe } from "./fake-stripe.ts";
import { jsonCaller } from "./http.ts";
import { startOryn } from "./processes.ts";
import { tenantDirectory } from "./scim.ts";
import { activeTenant, provisioningDeps, tenantConnections } from "./tenants.ts";
import { tokenSigner } from "./tokens.ts";
import { signUpAndWait } from "./wait.ts";

/**
 * The test kit's fixtures: what a test needs, one parameter each, built when first asked for and
 * cleaned up after. Servers and pools live for the file (`scope: "file"`); what a test changes
 * (a tenant, a fake Stripe) is its own.
 *
 * ```ts
 * import { test } from "@oryn/testing";
 * test("an owner lists projects", async ({ stack, signedUp }) => { … });
 * ```
 */
export const test = base
  /** This run's servers, database and Redis prefix, from the global setup. */
  .extend("run", { scope: "file" }, () => testRun())
  /** The environment `stack` starts the services with; a file overrides it with `test.override`. */
  .extend("stackEnv", { scope: "file" }, ({ run }): Record<string, string> => serviceEnv(run))
  /** Gateway, workspace, billing and provisioner as real processes, wired, on free ports. */
  .extend("stack", { scope: "file" }, async ({ stackEnv }, { onCleanup }) => {
    const oryn = await startOryn(stackEnv);
    onCleanup(() => oryn.stop());
    return oryn;
  })
  /** JSON calls to the stack's gateway. */
  .extend("gateway", { scope: "file" }, ({ stack }) =>
    jsonCaller((path, init) => fetch(`${stack.gatewayUrl}${path}`, init)),
  )
  /** A company signed up through the stack's gateway, active: its owner's token and ids. */
  .extend("signedUp", ({ gateway }) => signUpAndWait(gateway))
  /** `signedUp`'s SCIM directory: a verified domain, a SCIM token and a client holding it. */
  .extend("directory", ({ run, gateway, stack, signedUp }) =>
    tenantDirectory(run, gateway, stack.gatewayUrl, signedUp),
  )
  /** The provisioner's real steps against this run's servers, without a provisioner process. */
  .extend("provisioning", { scope: "file" }, ({ run }, { onCleanup }) => {
    const deps = provisioningDeps(run);
    onCleanup(() => deps.close());
    return deps;
  })
  /** Connections into tenant databases, as a tenant's role or the superuser; ended after the file. */
  .extend("tenantSql", { scope: "file" }, ({ run }, { onCleanup }) => {
    const connections = tenantConnections(run);
    onCleanup(() => connections.close());
    return connections;
  })
  /** The key pair tokens are signed with; build in-process services with `signer.keys`. */
  .extend("signer", { scope: "file" }, () => tokenSigner())
  /** An active tenant with its own database, made by the real provisioning steps. */
  .extend("tenant", ({ provisioning }) => activeTenant(provisioning))
  /** An owner's access token for `tenant`, signed by `signer`. */
  .extend("token", ({ signer, tenant }) => signer.tokenFor(tenant, { role: "owner" }))
  /** A fake Stripe on a local port; give its `env()` to billing. */
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern.
  .extend("fakeStripe", async ({}, { onCleanup }) => {
    const stripe = await startFakeStripe();
    onCleanup(() => stripe.close());
    return stripe;
  });

export { describe, expect } from "vitest";
