import { connect } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { joinTenant } from "@oryn/testing/populated-tenant";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { codeAt, enrolTotp } from "@oryn/testing/totp";
import { signUpAndWait, testPassword } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Sessions and MFA across real processes: the gateway logs in to the control plane as a role
 * holding only `oryn_gateway`'s grants (a missing one fails here), and the routes it forwards to
 * workspace and billing are held to the tenant's MFA requirement like its own.
 */
describe("MFA and sessions through the gateway", () => {
  const run = testRun();
  const admin = connect(run.postgresUrl, { max: 1 });
  const gatewayRole = `oryn_mfagw_${run.runId}`;
  let oryn: Oryn;
  const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));

  beforeAll(async () => {
    await admin`create role ${admin(gatewayRole)} login in role oryn_gateway`;
    const url = new URL(run.controlPlaneUrl);
    url.username = gatewayRole;
    oryn = await startOryn(serviceEnv(run), {
      gateway: { DATABASE_URL: url.toString(), REVOCATION_POLL_MS: "200" },
    });
  }, 60_000);

  afterAll(async () => {
    await oryn?.stop();
    await admin`drop role if exists ${admin(gatewayRole)}`;
    await admin.end();
  });

  const enrol = (token: string) => enrolTotp(call, token);

  it("refuses forwarded routes to a member without MFA once the tenant requires it, until they enrol; ends sessions on every route", async () => {
    const owner = await signUpAndWait(call, { intervalMs: 50, timeoutMs: 30_000 });
    // Only a verified owner may invite (issue 15): the link queued at signup verifies them.
    await verifyQueuedEmail(run, call, `owner@${owner.slug}.test`);
    const member = await joinTenant(call, owner.token, "member", run);
    const { secret, now } = await enrol(owner.token);
    const required = await call("PATCH", "/v1/tenant", {
      token: owner.token,
      body: { mfaRequired: true },
    });
    expect(required.status).toBe(200);

    for (const [method, path] of [
      ["GET", "/v1/projects"],
      ["POST", "/v1/projects"],
      ["GET", "/v1/billing/subscription"],
      ["GET", "/v1/members"],
    ] as const) {
      const answer = await call(method, path, {
        token: member.token,
        body: method === "POST" ? { name: "not allowed" } : undefined,
      });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.json.code, `${method} ${path}`).toBe("mfa_required");
    }
    const owners = await call("POST", "/v1/projects", {
      token: owner.token,
      body: { name: "Made with MFA" },
    });
    expect(owners.status).toBe(201);
    // Nothing the member tried got through.
    const listed = await call("GET", "/v1/projects", { token: owner.token });
    expect(listed.json.items.map((project: { name: string }) => project.name)).toEqual([
      "Made with MFA",
    ]);

    await enrol(member.token);
    expect((await call("GET", "/v1/projects", { token: member.token })).status).toBe(200);

    // The owner signs in again, with the second factor, and ends that session from the first.
    const login = await call("POST", "/v1/auth/login", {
      body: { email: owner.signup.json.user.email, password: testPassword },
    });
    expect(login.json.mfaRequired).toBe(true);
    const second = await call("POST", "/v1/auth/mfa", {
      body: { mfaToken: login.json.mfaToken, code: codeAt(secret, 1, now) },
    });
    expect(second.status).toBe(200);
    expect((await call("GET", "/v1/projects", { token: second.json.accessToken })).status).toBe(
      200,
    );
    const sessions = await call("GET", "/v1/me/sessions", { token: owner.token });
    const other = sessions.json.items.find((item: { current: boolean }) => !item.current);
    expect(other).toBeDefined();
    expect(
      (await call("DELETE", `/v1/me/sessions/${other.id}`, { token: owner.token })).status,
    ).toBe(204);
    const ended = await call("GET", "/v1/projects", { token: second.json.accessToken });
    expect(ended.status).toBe(401);
    expect((await call("GET", "/v1/projects", { token: owner.token })).status).toBe(200);
  }, 120_000);
});
