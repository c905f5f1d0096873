import { randomBytes } from "node:crypto";
import { connect } from "@oryn/shared";
import { serviceEnv } from "./context.ts";
import { jsonCaller } from "./http.ts";
import { isolatedRun } from "./isolated-run.ts";
import { freePort, type Oryn, startOryn } from "./processes.ts";
import { relay } from "./tcp-relay.ts";
import { eventually, testPassword } from "./wait.ts";

/**
 * Oryn with an operator token and two registered tenant database servers: `main` (the run's
 * PostgreSQL) and `flaky`, an address where nothing listens until `bringFlakyUp` starts a relay
 * there to the run's server. `failedSignup` places a signup on `flaky`, so its provisioning fails
 * for real (connection refused at every attempt) and ends `provisioning_failed`; after
 * `bringFlakyUp` a retry succeeds. Its own control plane, so the down server reaches no other
 * file's signups.
 */
export async function operatorStack(name: string, env: Record<string, string> = {}) {
  const run = await isolatedRun(name);
  const cp = connect(run.controlPlaneUrl, { max: 2 });
  const flakyPort = await freePort();
  const token = randomBytes(32).toString("base64url");
  let flaky: { close(): Promise<void> } | undefined;
  let oryn: Oryn | undefined;
  const close = async () => {
    await oryn?.stop();
    await flaky?.close();
    await cp.end();
    await run.drop();
  };
  const main = new URL(run.postgresUrl);
  try {
    await cp`
      insert into database_servers (name, host, port, capacity, state) values
        ('main', ${main.hostname}, ${Number(main.port || 5432)}, 100, 'accepting'),
        ('flaky', '127.0.0.1', ${flakyPort}, 100, 'draining')`;
    oryn = await startOryn(
      // No warm pool: it would keep trying to fill the down server.
      { ...serviceEnv(run), TENANT_SPARE_DATABASES: "0", ...env },
      { provisioner: { OPERATOR_TOKEN: token } },
    );
  } catch (error) {
    await close();
    throw error;
  }
  const started = oryn;
  const call = jsonCaller((path, init) => fetch(`${started.gatewayUrl}${path}`, init));

  const signUp = async (slug: string) => {
    const signup = await call("POST", "/v1/signup", {
      body: {
        company: { name: `Company ${slug}`, slug },
        owner: { email: `owner@${slug}.test`, password: testPassword, name: "Owner" },
      },
    });
    if (signup.status !== 202) throw new Error(`signup: ${JSON.stringify(signup.json)}`);
    return {
      slug,
      tenantId: signup.json.tenant.id as string,
      token: signup.json.tokens.accessToken as string,
    };
  };
  const waitForStatus = (ownerToken: string, status: string, timeoutMs = 60_000) =>
    eventually(
      () => call("GET", "/v1/tenant", { token: ownerToken }),
      (answer) => answer.json?.status === status,
      { intervalMs: 250, timeoutMs },
    );

  return {
    run,
    oryn: started,
    cp,
    /** The operator credential (OPERATOR_TOKEN of the provisioner). */
    token,
    call,
    signUp,
    waitForStatus,
    /** A signup whose database server is down: it ends `provisioning_failed` (about 16 s). */
    async failedSignup(slug: string) {
      await cp`update database_servers set state = case name when 'flaky' then 'accepting' else 'draining' end`;
      try {
        const tenant = await signUp(slug);
        await waitForStatus(tenant.token, "provisioning_failed", 90_000);
        return tenant;
      } finally {
        await cp`update database_servers set state = case name when 'flaky' then 'draining' else 'accepting' end`;
      }
    },
    async activeSignup(slug: string) {
      const tenant = await signUp(slug);
      await waitForStatus(tenant.token, "active");
      return tenant;
    },
    /** The down server comes back: a relay on its port to the run's PostgreSQL. */
    async bringFlakyUp() {
      flaky ??= await relay(flakyPort, run.postgresUrl);
    },
    close,
  };
}

export type OperatorStack = Awaited<ReturnType<typeof operatorStack>>;
