import { createOrynClient } from "@oryn/client";
import { connect, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const webhookSecret = "whsec_e2e_test_secret_0123456789";
// Room for the status polls below (about 40 a second per tenant) while provisioning is slow
// under a loaded machine, and still small enough to exceed quickly.
const tenantQuota = 150;

type Json = Record<string, any>;

describe("Oryn end to end: four processes, real PostgreSQL and Redis", () => {
  let oryn: Oryn;
  const run = testRun();

  // Each service reaches the control plane as a login role holding only its service role's
  // grants (migration 0003), as in production: a missing grant fails this test.
  const services = ["gateway", "workspace", "billing", "provisioner"] as const;
  const loginRole = (service: string) => `oryn_e2e_${run.runId}_${service}`;
  const asRole = (service: string) => {
    const url = new URL(run.controlPlaneUrl);
    url.username = loginRole(service);
    return url.toString();
  };
  const admin = connect(run.postgresUrl, { max: 1 });

  beforeAll(async () => {
    for (const service of services) {
      await admin`create role ${admin(loginRole(service))} login in role ${admin(`oryn_${service}`)}`;
    }
    oryn = await startOryn(serviceEnv(run), {
      gateway: {
        RATE_LIMIT_TENANT_PER_MINUTE: String(tenantQuota),
        DATABASE_URL: asRole("gateway"),
      },
      workspace: { DATABASE_URL: asRole("workspace") },
      billing: { STRIPE_WEBHOOK_SECRET: webhookSecret, DATABASE_URL: asRole("billing") },
      provisioner: { DATABASE_URL: asRole("provisioner") },
    });
  }, 60_000);

  afterAll(async () => {
    await oryn?.stop();
    for (const service of services) await admin`drop role if exists ${admin(loginRole(service))}`;
    await admin.end();
  });

  const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));

  async function signUpAndWait(slug: string) {
    const started = performance.now();
    const signup = await call("POST", "/v1/signup", {
      body: {
        company: { name: `Company ${slug}`, slug },
        owner: { email: `owner@${slug}.test`, password: "a long enough password", name: "Owner" },
      },
    });
    expect(signup.status, JSON.stringify(signup.json)).toBe(202);
    expect(signup.json.tenant).toMatchObject({ slug, status: "provisioning" });
    const token = signup.json.tokens.accessToken as string;
    // Polled four times a second: every poll counts against the tenant's quota, and the time
    // this takes is the bench's to measure, not this test's to assert.
    for (const deadline = performance.now() + 60_000; ; ) {
      const tenant = await call("GET", "/v1/tenant", { token });
      expect(tenant.status, JSON.stringify(tenant.json)).toBe(200);
      if (tenant.json.status === "active") {
        expect(tenant.json.provisioning).toMatchObject({ step: "done", error: null });
        break;
      }
      expect(tenant.json.status).toBe("provisioning");
      if (performance.now() > deadline) throw new Error(`${slug} did not become active`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return { signup: signup.json, token, signupToActiveMs: performance.now() - started };
  }

  let tenantA: Awaited<ReturnType<typeof signUpAndWait>>;
  let tenantB: Awaited<ReturnType<typeof signUpAndWait>>;
  let tokenA: string;
  const requestIds: string[] = [];
  let projectId: string;

  it("reports every service ready once its dependencies answer", async () => {
    const readyz = {
      gateway: `${oryn.gatewayOpsUrl}/readyz`,
      workspace: `${oryn.services.workspace.url}/readyz`,
      billing: `${oryn.services.billing.url}/readyz`,
      provisioner: `${oryn.services.provisioner.url}/readyz`,
    };
    for (const [service, url] of Object.entries(readyz)) {
      const answer = await fetch(url);
      expect(answer.status, service).toBe(200);
    }
    // Their control-plane sessions are the least-privileged login roles, not the superuser.
    const sessions = await admin<{ usename: string; applicationName: string }[]>`
      select distinct usename, application_name from pg_stat_activity
      where datname = ${new URL(run.controlPlaneUrl).pathname.slice(1)} and application_name like 'oryn-%'`;
    for (const service of services) {
      expect(sessions, service).toContainEqual({
        usename: loginRole(service),
        applicationName: `oryn-${service}`,
      });
    }
    const workspace = (await (await fetch(readyz.workspace)).json()) as Json;
    expect(Object.keys(workspace.checks).sort()).toEqual([
      "controlPlane",
      "signingKeys",
      "tenantServer",
    ]);
  });

  it("signs a company up and provisions its database in the background", async () => {
    tenantA = await signUpAndWait(`acme-${run.runId}`);
    tenantB = await signUpAndWait(`globex-${run.runId}`);
    console.log(
      `[e2e] signup-to-active: ${tenantA.signupToActiveMs.toFixed(0)} ms and ${tenantB.signupToActiveMs.toFixed(0)} ms`,
    );
  });

  // These two go through the typed client (@oryn/client), as a user's code would.
  it("logs in with email and password, and refuses a wrong password", async () => {
    const client = createOrynClient({ baseUrl: oryn.gatewayUrl });
    const login = await client.POST("/v1/auth/login", {
      body: { email: `owner@acme-${run.runId}.test`, password: "a long enough password" },
    });
    expect(login.response.status).toBe(200);
    expect(login.data).toMatchObject({ tokenType: "Bearer", expiresIn: expect.any(Number) });
    // A person with MFA on would get `{mfaRequired, mfaToken}` instead: the type says so.
    tokenA = login.data && "accessToken" in login.data ? login.data.accessToken : "";

    const wrong = await client.POST("/v1/auth/login", {
      body: { email: `owner@acme-${run.runId}.test`, password: "not the password" },
    });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error?.code).toBe("invalid_credentials");
  });

  it("creates, lists, gets, updates and deletes a project through the gateway", async () => {
    const client = createOrynClient({ baseUrl: oryn.gatewayUrl, token: tokenA });
    const created = await client.POST("/v1/projects", {
      body: { name: "Relaunch", description: "Q3" },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({
      name: "Relaunch",
      description: "Q3",
      status: "active",
      version: 1,
    });
    projectId = created.data?.id ?? "";
    expect(created.response.headers.get("location")).toBe(`/v1/projects/${projectId}`);
    expect(created.response.headers.get("etag")).toBe('"1"');
    requestIds.push(created.response.headers.get("x-request-id") ?? "");

    const list = await client.GET("/v1/projects");
    expect(list.response.status).toBe(200);
    expect(list.data?.items.map((item) => item.id)).toEqual([projectId]);
    expect(list.data?.nextCursor).toBeNull();

    const path = { path: { id: projectId } };
    const got = await client.GET("/v1/projects/{id}", { params: path });
    expect(got.response.status).toBe(200);
    expect(got.data).toEqual(created.data);

    const updated = await client.PATCH("/v1/projects/{id}", {
      params: { ...path, header: { "if-match": '"1"' } },
      body: { name: "Relaunch 2" },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toMatchObject({ name: "Relaunch 2", version: 2 });
    expect(updated.response.headers.get("etag")).toBe('"2"');
    requestIds.push(updated.response.headers.get("x-request-id") ?? "");

    const stale = await client.PATCH("/v1/projects/{id}", {
      params: { ...path, header: { "if-match": '"1"' } },
      body: { name: "Lost" },
    });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.code).toBe("precondition_failed");
  });

  it("answers 404 to another tenant's token for that project, for reads and writes", async () => {
    const tokenB = tenantB.token;
    for (const [method, body] of [["GET"], ["PATCH", { name: "Stolen" }], ["DELETE"]] as const) {
      const answer = await call(method, `/v1/projects/${projectId}`, { token: tokenB, body });
      expect(answer.status, method).toBe(404);
      expect(answer.json.code).toBe("not_found");
    }
    const listB = await call("GET", "/v1/projects", { token: tokenB });
    expect(listB.json.items).toEqual([]);
    const stillThere = await call("GET", `/v1/projects/${projectId}`, { token: tokenA });
    expect(stillThere.json.name).toBe("Relaunch 2");
  });

  it("refuses a missing or forged token with 401 problem+json", async () => {
    const none = await call("GET", "/v1/projects");
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toContain("application/problem+json");
    expect(none.json).toMatchObject({
      status: 401,
      code: "unauthorized",
      requestId: expect.any(String),
    });
    expect(none.headers.get("ratelimit-policy")).toMatch(/^"ip";q=\d+;w=60$/);

    const [header, payload] = tokenA.split(".");
    const forged = `${header}.${payload}.${"A".repeat(86)}`;
    expect((await call("GET", "/v1/projects", { token: forged })).status).toBe(401);
  });

  it("answers malformed JSON with 400 invalid_json and wrong types with 422 validation_failed", async () => {
    const malformed = await call("POST", "/v1/projects", {
      token: tokenA,
      raw: '{"name": "unterminated',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.code).toBe("invalid_json");

    const wrongTypes = await call("POST", "/v1/projects", {
      token: tokenA,
      body: { name: 42, status: "sideways" },
    });
    expect(wrongTypes.status).toBe(422);
    expect(wrongTypes.json.code).toBe("validation_failed");
    expect(wrongTypes.json.errors.map((error: Json) => error.path).sort()).toEqual([
      "name",
      "status",
    ]);

    const badSignup = await call("POST", "/v1/signup", {
      body: { company: { name: "X", slug: "'; drop table tenants; --" }, owner: {} },
    });
    expect(badSignup.status).toBe(422);
  });

  it("deletes the project", async () => {
    const deleted = await call("DELETE", `/v1/projects/${projectId}`, { token: tokenA });
    expect(deleted.status).toBe(204);
    requestIds.push(deleted.headers.get("x-request-id") ?? "");
    expect((await call("GET", `/v1/projects/${projectId}`, { token: tokenA })).status).toBe(404);
  });

  it("writes an audit row for each change, with the actor and the request id", async () => {
    const sql = connect(
      withDatabase(run.postgresUrl, tenantDatabaseName(tenantA.signup.tenant.id)),
      { max: 1 },
    );
    try {
      const rows = await sql<
        Json[]
      >`select action, entity, entity_id, actor_id, request_id, before, after from audit_log order by id`;
      expect(rows.map((row) => row.action)).toEqual(["created", "updated", "deleted"]);
      for (const row of rows) {
        expect(row).toMatchObject({
          entity: "project",
          entityId: projectId,
          actorId: tenantA.signup.user.id,
        });
      }
      expect(rows.map((row) => row.requestId)).toEqual(requestIds);
      expect(rows[1]?.before).toMatchObject({ name: "Relaunch", version: 1 });
      expect(rows[1]?.after).toMatchObject({ name: "Relaunch 2", version: 2 });
      expect(rows[2]?.after).toBeNull();
    } finally {
      await sql.end();
    }
  });

  it("records a signed Stripe webhook once and refuses a badly signed one", async () => {
    const stripe = new Stripe("sk_test_unused");
    const payload = JSON.stringify({
      id: `evt_e2e_${run.runId}`,
      object: "event",
      type: "customer.created",
      data: { object: {} },
    });
    const signature = await stripe.webhooks.generateTestHeaderStringAsync({
      payload,
      secret: webhookSecret,
    });
    const post = (sig: string) =>
      call("POST", "/webhooks/stripe", { raw: payload, headers: { "stripe-signature": sig } });

    const first = await post(signature);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ received: true, duplicate: false });
    expect((await post(signature)).json).toEqual({ received: true, duplicate: true });

    const forged = await stripe.webhooks.generateTestHeaderStringAsync({
      payload,
      secret: "whsec_not_the_secret",
    });
    const refused = await post(forged);
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe("invalid_signature");
  });

  it("limits a tenant over its quota with 429 and Retry-After while another tenant is served", async () => {
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let sent = 0; sent <= tenantQuota && !limited; sent++) {
      const answer = await call("GET", "/v1/projects", { token: tokenA });
      expect(answer.headers.get("ratelimit-policy")).toMatch(
        new RegExp(`^"tenant-burst";q=\\d+;w=1, "tenant";q=${tenantQuota};w=60$`),
      );
      if (answer.status === 429) limited = answer;
      else expect(answer.status).toBe(200);
    }
    expect(limited, "no 429 within the quota").toBeDefined();
    expect(limited?.json.code).toBe("rate_limited");
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited?.headers.get("ratelimit")).toMatch(/^"tenant";r=0;t=\d+$/);

    const other = await call("GET", "/v1/projects", { token: tenantB.token });
    expect(other.status).toBe(200);
  });
});
