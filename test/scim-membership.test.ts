import { connect } from "@oryn/shared";
import { describe, expect, test } from "@oryn/testing";
import { invitationToken, queuedMail, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import {
  errorUrn,
  filterOf,
  groupUrn,
  patchOp,
  setActive,
  userUrn,
  verifiedScimDomain,
} from "@oryn/testing/scim";
import { eventually, testPassword } from "@oryn/testing/wait";

// What the directory does to memberships: sessions ended by deactivation, the last owner kept,
// a restricted tenant and the plan's member cap respected.

describe("SCIM and memberships", () => {
  test("deactivation ends the person's sessions at once; the last owner stays; a SCIM user gets in by password reset", async ({
    gateway,
    run,
    signedUp,
    directory: { scim },
  }) => {
    const ownerEmail = `owner@${signedUp.slug}.test`;
    // The directory may take the owner over too: their address's domain is the tenant's.
    await verifiedScimDomain(run, signedUp, `${signedUp.slug}.test`);
    await verifyQueuedEmail(run, gateway, ownerEmail);
    // A member who signed in before the directory took them over.
    const email = `bob@${signedUp.slug}.example.test`;
    const invitation = await gateway("POST", "/v1/invitations", {
      token: signedUp.token,
      body: { email, role: "member" },
    });
    expect(invitation.status).toBe(201);
    const accepted = await gateway("POST", "/v1/invitations/accept", {
      body: { token: await invitationToken(run, invitation), name: "Bob", password: testPassword },
    });
    expect(accepted.status).toBe(200);
    const session = accepted.json as { accessToken: string; refreshToken: string };
    expect((await gateway("GET", "/v1/tenant", { token: session.accessToken })).status).toBe(200);

    // The directory takes the existing account over (same email): one account, one membership.
    const linked = await scim("POST", "/Users", {
      schemas: [userUrn],
      userName: email,
      externalId: "okta-bob",
      active: true,
    });
    expect(linked.status).toBe(201);
    const bobId = linked.json.id as string;
    const deactivated = await scim("PATCH", `/Users/${bobId}`, {
      schemas: [patchOp],
      Operations: [{ op: "Replace", path: "active", value: "False" }],
    });
    expect(deactivated.status).toBe(200);
    // The refresh token is refused at once, the access token within a revocation poll.
    const refresh = await gateway("POST", "/v1/auth/refresh", {
      body: { refreshToken: session.refreshToken },
    });
    expect(refresh.status).toBe(401);
    await eventually(
      () => gateway("GET", "/v1/tenant", { token: session.accessToken }),
      (answer) => answer.status === 401,
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    // And no new sign-in reaches the tenant.
    const login = await gateway("POST", "/v1/auth/login", {
      body: { email, password: testPassword, tenant: signedUp.slug },
    });
    expect(login.status).toBeGreaterThanOrEqual(400);
    // Reactivation gives the membership back, at the role it had.
    await scim("PATCH", `/Users/${bobId}`, {
      schemas: [patchOp],
      Operations: [{ op: "Replace", path: "active", value: "True" }],
    });
    const back = await gateway("POST", "/v1/auth/login", {
      body: { email, password: testPassword, tenant: signedUp.slug },
    });
    expect(back.status).toBe(200);
    const members = await gateway("GET", "/v1/members", { token: signedUp.token });
    expect(members.json.items.find((m: { userId: string }) => m.userId === bobId)?.role).toBe(
      "member",
    );
    // DELETE ends sessions too.
    expect((await scim("DELETE", `/Users/${bobId}`)).status).toBe(204);
    const afterDelete = await gateway("POST", "/v1/auth/refresh", {
      body: { refreshToken: back.json.refreshToken },
    });
    expect(afterDelete.status).toBe(401);

    // The tenant's only owner: the directory may know them, never remove them.
    const owner = await scim("POST", "/Users", { schemas: [userUrn], userName: ownerEmail });
    expect(owner.status).toBe(201);
    const lastOwner = await scim("PATCH", `/Users/${owner.json.id}`, {
      schemas: [patchOp],
      Operations: [{ op: "replace", value: { active: false } }],
    });
    expect(lastOwner.status).toBe(409);
    expect(lastOwner.json).toMatchObject({ schemas: [errorUrn], status: "409" });
    expect(lastOwner.json.detail).toMatch(/last owner/);
    expect((await scim("DELETE", `/Users/${owner.json.id}`)).status).toBe(409);
    // Nor does a group mapped to member demote them; SCIM alone never makes an owner.
    await gateway("PUT", "/v1/sso/group-roles", {
      token: signedUp.token,
      body: { items: [{ group: "Everyone", role: "member" }] },
    });
    await scim("POST", "/Groups", {
      schemas: [groupUrn],
      displayName: "Everyone",
      members: [{ value: owner.json.id }],
    });
    expect((await gateway("GET", "/v1/tenant", { token: signedUp.token })).status).toBe(200);
    const ownerStill = await gateway("GET", "/v1/members", { token: signedUp.token });
    expect(
      ownerStill.json.items.find((m: { userId: string }) => m.userId === owner.json.id)?.role,
    ).toBe("owner");

    // A new directory user has no password: a password reset gives them one.
    const fresh = `carol@${signedUp.slug}.example.test`;
    const carol = await scim("POST", "/Users", { schemas: [userUrn], userName: fresh });
    expect(carol.status).toBe(201);
    const noPassword = await gateway("POST", "/v1/auth/login", {
      body: { email: fresh, password: testPassword },
    });
    expect(noPassword.status).toBe(401);
    await gateway("POST", "/v1/auth/password/forgot", { body: { email: fresh } });
    const mail = await queuedMail(run, { template: "reset-password", to: fresh });
    const reset = await gateway("POST", "/v1/auth/password/reset", {
      body: { token: mail.data.token, password: testPassword },
    });
    expect(reset.status).toBe(204);
    const signedIn = await gateway("POST", "/v1/auth/login", {
      body: { email: fresh, password: testPassword },
    });
    expect(signedIn.status).toBe(200);
  }, 90_000);
});

describe("SCIM and a restricted tenant", () => {
  test("a restricted tenant's directory gives no one access, and can still take it away", async ({
    run,
    signedUp,
    directory: { scim, createUser },
  }) => {
    const user = await createUser("r");
    expect(user.status).toBe(201);
    const sql = connect(run.controlPlaneUrl, { max: 1 });
    try {
      // As billing marks a tenant whose payment failed.
      await sql`update tenants set status = 'restricted' where id = ${signedUp.tenantId}`;
      const created = await createUser("s");
      expect(created.status).toBe(403);
      expect(created.json.schemas).toEqual([errorUrn]);
      const off = await setActive(scim, user.json.id, false);
      expect(off.status).toBe(200);
      const on = await setActive(scim, user.json.id, true);
      expect(on.status).toBe(403);
      expect((await scim("GET", `/Users/${user.json.id}`)).json.active).toBe(false);
      expect((await scim("DELETE", `/Users/${user.json.id}`)).status).toBe(204);
    } finally {
      await sql.end();
    }
  });
});

describe("SCIM and the plan's member cap", () => {
  test("a directory cannot take a tenant past its plan's members, and a refused user is not kept", async ({
    signedUp,
    directory: { scim, createUser: create },
  }) => {
    // The free plan holds three members: the owner and two more.
    const [first, second] = [await create("one"), await create("two")];
    expect([first.status, second.status]).toEqual([201, 201]);
    const third = await create("three");
    expect(third.status).toBe(402);
    expect(third.json).toMatchObject({ schemas: [errorUrn], status: "402" });
    const lookup = await scim(
      "GET",
      `/Users?filter=${filterOf(`userName eq "three@${signedUp.slug}.example.test"`)}`,
    );
    expect(lookup.json.totalResults).toBe(0);
    // A deactivated user frees a seat; taking it back needs one.
    const off = await setActive(scim, first.json.id, false);
    expect(off.status).toBe(200);
    expect((await create("three")).status).toBe(201);
    const on = await setActive(scim, first.json.id, true);
    expect(on.status).toBe(402);
    expect((await scim("GET", `/Users/${first.json.id}`)).json.active).toBe(false);
  });
});

describe("SCIM and roles changed by hand", () => {
  test("a role an owner set by hand is the baseline the directory keeps, up or down", async ({
    gateway,
    signedUp,
    directory: { scim, createUser },
  }) => {
    const user = await createUser("hand");
    const id = user.json.id as string;
    const roleOf = async () =>
      (await gateway("GET", "/v1/members", { token: signedUp.token })).json.items.find(
        (m: { userId: string }) => m.userId === id,
      )?.role;
    const setRole = (role: string) =>
      gateway("PATCH", `/v1/members/${id}`, { token: signedUp.token, body: { role } });
    expect((await setRole("admin")).status).toBe(200);
    // A directory change that maps to nothing keeps the role given by hand.
    const group = await scim("POST", "/Groups", {
      schemas: [groupUrn],
      displayName: "Unmapped",
      members: [{ value: id }],
    });
    expect(group.status).toBe(201);
    expect(await roleOf()).toBe("admin");
    // Taken away by hand, it is not handed back when the directory deactivates and reactivates.
    expect((await setRole("member")).status).toBe(200);
    for (const active of [false, true]) {
      const answer = await setActive(scim, id, active);
      expect(answer.status).toBe(200);
    }
    expect(await roleOf()).toBe("member");
  });

  test("linking an account whose address was never verified ends its password and sessions", async ({
    gateway,
    signedUp,
    directory: { domain, createUser },
  }) => {
    // Someone signs up with an address of the tenant's domain before its directory knows it.
    const email = `dana@${domain}`;
    const squatter = await gateway("POST", "/v1/signup", {
      body: {
        company: { name: "Squat", slug: `sq-${crypto.randomUUID().slice(0, 8)}` },
        owner: { email, password: testPassword, name: "Dana" },
      },
    });
    expect(squatter.status).toBe(202);
    await eventually(
      () => gateway("GET", "/v1/tenant", { token: squatter.json.tokens.accessToken }),
      (answer) => answer.json?.status === "active",
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const before = await gateway("POST", "/v1/auth/login", {
      body: { email, password: testPassword },
    });
    expect(before.status).toBe(200);
    const failedBefore = await gateway("POST", "/v1/auth/login", {
      body: { email, password: "a wrong password, before joining" },
    });
    expect(failedBefore.status).toBe(401);
    const linked = await createUser("dana");
    expect(linked.status).toBe(201);
    expect(linked.json.id).toBe(squatter.json.user.id);
    // The password the squatter chose and their session are gone.
    const login = await gateway("POST", "/v1/auth/login", {
      body: { email, password: testPassword },
    });
    expect([login.status, login.json.code]).toEqual([401, "invalid_credentials"]);
    const refresh = await gateway("POST", "/v1/auth/refresh", {
      body: { refreshToken: before.json.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const log = await gateway("GET", "/v1/security-log?limit=200", { token: signedUp.token });
    expect(log.json.items.map((e: { action: string }) => e.action)).toContain(
      "unverified_account_reset",
    );
    // The tenant's log shows Dana's account events from the moment she joined, not before:
    // one failed login (the one after the link), not the one before.
    const danas = log.json.items.filter(
      (e: { actorId: string | null }) => e.actorId === squatter.json.user.id,
    );
    expect(danas.filter((e: { action: string }) => e.action === "login_failed")).toHaveLength(1);
  });
});
