import { connect } from "@oryn/shared";
import { describe, expect, test } from "@oryn/testing";
import type { Answer } from "@oryn/testing/http";
import { invitationToken, queuedMail, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { eventually, signUpAndWait, testPassword } from "@oryn/testing/wait";

// SCIM 2.0 at /scim/v2 through the gateway as a real process, with the requests Okta's SCIM 2.0
// test suite and Entra ID's provisioning service (and its SCIM validator) send.

const patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const userUrn = "urn:ietf:params:scim:schemas:core:2.0:User";
const groupUrn = "urn:ietf:params:scim:schemas:core:2.0:Group";
const errorUrn = "urn:ietf:params:scim:api:messages:2.0:Error";

type Scim = (
  method: string,
  path: string,
  body?: unknown,
  options?: { token?: string; contentType?: string; raw?: string },
) => Promise<Answer>;

function scimClient(gatewayUrl: string, token: string): Scim {
  return async (method, path, body, options = {}) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token ?? token}`,
      accept: "application/scim+json",
    };
    let payload: string | undefined;
    if (body !== undefined || options.raw !== undefined) {
      headers["content-type"] = options.contentType ?? "application/scim+json";
      payload = options.raw ?? JSON.stringify(body);
    }
    const response = await fetch(`${gatewayUrl}/scim/v2${path}`, {
      method,
      headers,
      body: payload,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: text ? JSON.parse(text) : undefined,
    };
  };
}

const scimError = (answer: Answer) => [answer.status, answer.json?.scimType];

const filterOf = (expression: string) => encodeURIComponent(expression);

describe("SCIM provisioning", () => {
  test("Okta's sequence: users found by userName, created, replaced, deactivated, reactivated, deleted; groups with members", async ({
    stack,
    gateway,
    signedUp,
  }) => {
    const owner = signedUp.token;
    const created = await gateway("POST", "/v1/scim/tokens", {
      token: owner,
      body: { description: "Okta" },
    });
    expect(created.status).toBe(201);
    expect(created.json.token).toMatch(/^oryn_scim_/);
    const listed = await gateway("GET", "/v1/scim/tokens", { token: owner });
    expect(listed.json.items).toHaveLength(1);
    expect(JSON.stringify(listed.json)).not.toContain(created.json.token);
    expect(listed.json.items[0].tokenPrefix).toBe(created.json.token.slice(0, 16));
    const scim = scimClient(stack.gatewayUrl, created.json.token);
    // With an Idempotency-Key, a replay shows the same token (derived, never stored).
    const keyed = () =>
      gateway("POST", "/v1/scim/tokens", {
        token: owner,
        body: { description: "Entra" },
        headers: { "idempotency-key": `scim-${signedUp.slug}` },
      });
    const [once, replay] = [await keyed(), await keyed()];
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect([once.status, replay.status, replay.json.token]).toEqual([201, 201, once.json.token]);
    expect((await scim("GET", "/Users", undefined, { token: replay.json.token })).status).toBe(200);

    const config = await scim("GET", "/ServiceProviderConfig");
    expect(config.status).toBe(200);
    expect(config.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(config.json.patch.supported).toBe(true);
    expect((await scim("GET", "/ResourceTypes")).json.totalResults).toBe(2);
    expect((await scim("GET", "/Schemas")).json.Resources.map((s: { id: string }) => s.id)).toEqual(
      [userUrn, groupUrn],
    );

    // Okta: does the user exist? (filter, startIndex and count as Okta sends them)
    const email = `jane-${signedUp.slug}@example.test`;
    const absent = await scim(
      "GET",
      `/Users?filter=${filterOf(`userName eq "${email}"`)}&startIndex=1&count=100`,
    );
    expect(absent.status).toBe(200);
    expect(absent.json).toMatchObject({ totalResults: 0, Resources: [] });
    expect((await scim("GET", `/Users/${crypto.randomUUID()}`)).status).toBe(404);

    const user = await scim("POST", "/Users", {
      schemas: [userUrn],
      userName: email,
      name: { givenName: "Jane", familyName: "Doe" },
      emails: [{ primary: true, value: email, type: "work" }],
      displayName: "Jane Doe",
      locale: "en-US",
      externalId: "00ujl29u0le5T6Aj10h7",
      groups: [],
      password: "1mz050nq",
      active: true,
    });
    expect(user.status).toBe(201);
    expect(user.headers.get("location")).toBe(user.json.meta.location);
    expect(user.json).toMatchObject({
      userName: email,
      externalId: "00ujl29u0le5T6Aj10h7",
      active: true,
      name: { givenName: "Jane", familyName: "Doe" },
      emails: [{ value: email, primary: true }],
    });
    const id = user.json.id as string;
    const again = await scim("POST", "/Users", { schemas: [userUrn], userName: email });
    expect(scimError(again)).toEqual([409, "uniqueness"]);
    expect(again.json.schemas).toEqual([errorUrn]);

    const found = await scim(
      "GET",
      `/Users?filter=${filterOf(`userName eq "${email.toUpperCase()}"`)}&startIndex=1&count=100`,
    );
    expect(found.json.totalResults).toBe(1);
    expect(found.json.Resources[0].id).toBe(id);
    const members = async () =>
      (await gateway("GET", "/v1/members", { token: owner })).json.items as {
        userId: string;
        role: string;
      }[];
    expect((await members()).find((m) => m.userId === id)?.role).toBe("member");

    // Okta's PUT replaces the whole user.
    const replaced = await scim("PUT", `/Users/${id}`, {
      schemas: [userUrn],
      id,
      userName: email,
      name: { givenName: "Janet", familyName: "Doe" },
      emails: [{ primary: true, value: email, type: "work" }],
      active: true,
      externalId: "00ujl29u0le5T6Aj10h7",
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json.name.givenName).toBe("Janet");
    expect(replaced.json.displayName).toBeUndefined();

    // Okta deactivates with a path-less replace.
    const deactivated = await scim("PATCH", `/Users/${id}`, {
      schemas: [patchOp],
      Operations: [{ op: "replace", value: { active: false } }],
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.json.active).toBe(false);
    expect((await members()).some((m) => m.userId === id)).toBe(false);
    const reactivated = await scim("PATCH", `/Users/${id}`, {
      schemas: [patchOp],
      Operations: [{ op: "replace", value: { active: true } }],
    });
    expect(reactivated.json.active).toBe(true);
    expect((await members()).some((m) => m.userId === id)).toBe(true);

    // Paging: startIndex is 1-based, count bounds the page.
    const second = await scim("POST", "/Users", {
      schemas: [userUrn],
      userName: `john-${signedUp.slug}@example.test`,
      active: true,
    });
    expect(second.status).toBe(201);
    const page = await scim("GET", "/Users?startIndex=2&count=1");
    expect(page.json).toMatchObject({ totalResults: 2, startIndex: 2, itemsPerPage: 1 });
    expect(page.json.Resources[0].id).toBe(second.json.id);

    // Groups as Okta pushes them.
    const group = await scim("POST", "/Groups", {
      schemas: [groupUrn],
      displayName: "Admins",
      members: [{ value: id, display: email }],
    });
    expect(group.status).toBe(201);
    expect(group.json.members.map((m: { value: string }) => m.value)).toEqual([id]);
    const groupId = group.json.id as string;
    const byName = await scim("GET", `/Groups?filter=${filterOf('displayName eq "admins"')}`);
    expect(byName.json.Resources.map((g: { id: string }) => g.id)).toEqual([groupId]);

    // The group maps to admin: its member is admin at once, and the other one when added.
    const mapped = await gateway("PUT", "/v1/sso/group-roles", {
      token: owner,
      body: { items: [{ group: "Admins", role: "admin" }] },
    });
    expect(mapped.status).toBe(200);
    expect((await gateway("GET", "/v1/sso/group-roles", { token: owner })).json.items).toEqual([
      { group: "Admins", role: "admin" },
    ]);
    expect((await members()).find((m) => m.userId === id)?.role).toBe("admin");
    const added = await scim("PATCH", `/Groups/${groupId}`, {
      schemas: [patchOp],
      Operations: [
        { op: "add", path: "members", value: [{ value: second.json.id, display: "john" }] },
      ],
    });
    expect(added.status).toBe(200);
    expect(added.json.members).toHaveLength(2);
    expect((await members()).find((m) => m.userId === second.json.id)?.role).toBe("admin");
    expect((await scim("GET", `/Users/${second.json.id}`)).json.groups).toMatchObject([
      { value: groupId, display: "Admins" },
    ]);
    const removed = await scim("PATCH", `/Groups/${groupId}`, {
      schemas: [patchOp],
      Operations: [{ op: "remove", path: `members[value eq "${second.json.id}"]` }],
    });
    expect(removed.json.members.map((m: { value: string }) => m.value)).toEqual([id]);
    expect((await members()).find((m) => m.userId === second.json.id)?.role).toBe("member");
    const renamed = await scim("PATCH", `/Groups/${groupId}`, {
      schemas: [patchOp],
      Operations: [{ op: "replace", value: { id: groupId, displayName: "Former admins" } }],
    });
    expect(renamed.json.displayName).toBe("Former admins");
    // No longer a mapped group: back to the default role.
    expect((await members()).find((m) => m.userId === id)?.role).toBe("member");
    const put = await scim("PUT", `/Groups/${groupId}`, {
      schemas: [groupUrn],
      displayName: "Admins",
      members: [{ value: second.json.id }],
    });
    expect(put.json.members.map((m: { value: string }) => m.value)).toEqual([second.json.id]);
    expect((await members()).find((m) => m.userId === second.json.id)?.role).toBe("admin");
    expect((await scim("DELETE", `/Groups/${groupId}`)).status).toBe(204);
    expect((await scim("GET", `/Groups/${groupId}`)).status).toBe(404);
    expect((await members()).find((m) => m.userId === second.json.id)?.role).toBe("member");

    expect((await scim("DELETE", `/Users/${id}`)).status).toBe(204);
    expect((await scim("GET", `/Users/${id}`)).status).toBe(404);
    expect((await members()).some((m) => m.userId === id)).toBe(false);

    // Every change is in the tenant's security log.
    const log = await gateway("GET", "/v1/security-log?limit=200", { token: owner });
    const actions = (log.json.items as { action: string }[]).map((e) => e.action);
    for (const action of [
      "scim_token_created",
      "scim_user_created",
      "scim_user_updated",
      "scim_user_deactivated",
      "scim_user_reactivated",
      "scim_user_deleted",
      "scim_group_created",
      "scim_group_updated",
      "scim_group_deleted",
      "sso_group_roles_changed",
      "member_role_changed",
    ]) {
      expect(actions, action).toContain(action);
    }
  });

  test("Entra ID's sequence: string booleans, path-less and filtered operations, members removed by value", async ({
    stack,
    gateway,
    signedUp,
  }) => {
    const token = (await gateway("POST", "/v1/scim/tokens", { token: signedUp.token, body: {} }))
      .json.token as string;
    const scim = scimClient(stack.gatewayUrl, token);
    const upn = `sandy-${signedUp.slug}@contoso.test`;
    // Entra ID looks the user up by userName first, then creates it.
    // As its validator writes it: spaces as `+`, the address's `@` escaped.
    const lookup = await scim("GET", `/Users?filter=userName+eq+"${upn.replace("@", "%40")}"`);
    expect(lookup.status).toBe(200);
    expect(lookup.json.totalResults).toBe(0);
    const created = await scim(
      "POST",
      "/Users",
      {
        schemas: [userUrn, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        externalId: "9950b140-90a0-4201-9d65-b5f209fb4cd0",
        userName: upn,
        active: true,
        displayName: "Sandy Nia",
        emails: [{ primary: true, type: "work", value: upn }],
        name: { formatted: "Sandy Nia", familyName: "Nia", givenName: "Sandy" },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Sales" },
      },
      // Entra ID sends application/scim+json; a plain JSON client is served too.
      { contentType: "application/json" },
    );
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const plus = await scim("GET", `/Users?filter=userName+eq+"${upn.replace("@", "%40")}"`);
    expect(plus.json.totalResults).toBe(1);
    for (const expression of [
      `externalId eq "9950b140-90a0-4201-9d65-b5f209fb4cd0"`,
      `emails[type eq "work"].value eq "${upn}"`,
      `userName eq "${upn}" and active eq true`,
    ]) {
      const found = await scim("GET", `/Users?filter=${filterOf(expression)}`);
      expect(found.json.totalResults, expression).toBe(1);
    }

    const updated = await scim("PATCH", `/Users/${id}`, {
      schemas: [patchOp],
      Operations: [
        { op: "Replace", path: "name.familyName", value: "Mohr" },
        { op: "Replace", path: 'emails[type eq "work"].value', value: upn },
        {
          op: "Add",
          path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
          value: "x",
        },
        { op: "Replace", value: { displayName: "Sandy Mohr", "name.givenName": "Sandra" } },
      ],
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      displayName: "Sandy Mohr",
      name: { givenName: "Sandra", familyName: "Mohr" },
    });

    // Entra ID disables with the string "False".
    const disabled = await scim("PATCH", `/Users/${id}`, {
      schemas: [patchOp],
      Operations: [{ op: "Replace", path: "active", value: "False" }],
    });
    expect(disabled.status).toBe(200);
    expect(disabled.json.active).toBe(false);
    const seen = await scim("GET", `/Users?filter=${filterOf(`userName eq "${upn}"`)}`);
    expect(seen.json.Resources[0].active).toBe(false);
    const members = await gateway("GET", "/v1/members", { token: signedUp.token });
    expect(members.json.items.some((m: { userId: string }) => m.userId === id)).toBe(false);
    const enabled = await scim("PATCH", `/Users/${id}`, {
      schemas: [patchOp],
      Operations: [{ op: "Replace", path: "active", value: "True" }],
    });
    expect(enabled.json.active).toBe(true);

    // Groups: created empty, members added and removed with value lists.
    const group = await scim("POST", "/Groups", {
      schemas: [groupUrn],
      externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
      displayName: "Sales",
      members: [],
    });
    expect(group.status).toBe(201);
    const groupId = group.json.id as string;
    const byName = await scim(
      "GET",
      `/Groups?excludedAttributes=members&filter=${filterOf('displayName eq "Sales"')}`,
    );
    expect(byName.json.Resources).toHaveLength(1);
    expect(byName.json.Resources[0].members).toBeUndefined();
    const add = await scim("PATCH", `/Groups/${groupId}`, {
      schemas: [patchOp],
      Operations: [{ op: "Add", path: "members", value: [{ $ref: null, value: id }] }],
    });
    expect(add.status).toBe(200);
    const withMember = await scim("GET", `/Groups/${groupId}`);
    expect(withMember.json.members.map((m: { value: string }) => m.value)).toEqual([id]);
    const rename = await scim("PATCH", `/Groups/${groupId}`, {
      schemas: [patchOp],
      Operations: [{ op: "Replace", path: "displayName", value: "Sales EMEA" }],
    });
    expect(rename.json.displayName).toBe("Sales EMEA");
    const remove = await scim("PATCH", `/Groups/${groupId}`, {
      schemas: [patchOp],
      Operations: [{ op: "Remove", path: "members", value: [{ $ref: null, value: id }] }],
    });
    expect(remove.status).toBe(200);
    expect(remove.json.members).toEqual([]);
    // A group mapped by its externalId (Entra ID's groups claim carries object ids) gives its role.
    await gateway("PUT", "/v1/sso/group-roles", {
      token: signedUp.token,
      body: { items: [{ group: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", role: "admin" }] },
    });
    await scim("PATCH", `/Groups/${groupId}`, {
      schemas: [patchOp],
      Operations: [{ op: "Add", path: "members", value: [{ value: id }] }],
    });
    const after = await gateway("GET", "/v1/members", { token: signedUp.token });
    expect(after.json.items.find((m: { userId: string }) => m.userId === id)?.role).toBe("admin");
    expect((await scim("DELETE", `/Users/${id}`)).status).toBe(204);
  });

  test("a token sees only its own tenant; deleted, foreign and missing tokens get a SCIM 401", async ({
    stack,
    gateway,
    signedUp,
  }) => {
    const other = await signUpAndWait(gateway);
    const tokenA = (await gateway("POST", "/v1/scim/tokens", { token: signedUp.token, body: {} }))
      .json;
    const tokenB = (await gateway("POST", "/v1/scim/tokens", { token: other.token, body: {} }))
      .json;
    const a = scimClient(stack.gatewayUrl, tokenA.token);
    const b = scimClient(stack.gatewayUrl, tokenB.token);
    const userB = await b("POST", "/Users", {
      schemas: [userUrn],
      userName: `b-${other.slug}@example.test`,
    });
    const groupB = await b("POST", "/Groups", {
      schemas: [groupUrn],
      displayName: "B people",
      members: [{ value: userB.json.id }],
    });
    expect([userB.status, groupB.status]).toEqual([201, 201]);

    // A's token cannot read, list, change or delete B's user or group, nor put B's user in a group.
    expect((await a("GET", `/Users/${userB.json.id}`)).status).toBe(404);
    expect((await a("GET", "/Users")).json.totalResults).toBe(0);
    expect(
      (await a("GET", `/Users?filter=${filterOf(`id eq "${userB.json.id}"`)}`)).json.totalResults,
    ).toBe(0);
    expect((await a("GET", "/Groups")).json.totalResults).toBe(0);
    expect((await a("GET", `/Groups/${groupB.json.id}`)).status).toBe(404);
    const patchB = await a("PATCH", `/Users/${userB.json.id}`, {
      schemas: [patchOp],
      Operations: [{ op: "replace", value: { active: false } }],
    });
    expect(patchB.status).toBe(404);
    expect(
      (await a("PUT", `/Users/${userB.json.id}`, { schemas: [userUrn], userName: "x@y.test" }))
        .status,
    ).toBe(404);
    expect((await a("DELETE", `/Users/${userB.json.id}`)).status).toBe(404);
    expect(
      (
        await a("PATCH", `/Groups/${groupB.json.id}`, {
          schemas: [patchOp],
          Operations: [{ op: "add", path: "members", value: [{ value: userB.json.id }] }],
        })
      ).status,
    ).toBe(404);
    expect((await a("DELETE", `/Groups/${groupB.json.id}`)).status).toBe(404);
    const smuggled = await a("POST", "/Groups", {
      schemas: [groupUrn],
      displayName: "Smuggled",
      members: [{ value: userB.json.id }],
    });
    expect(scimError(smuggled)).toEqual([400, "invalidValue"]);
    // B's user is untouched and still B's member only.
    expect((await b("GET", `/Users/${userB.json.id}`)).json.active).toBe(true);
    const membersA = await gateway("GET", "/v1/members", { token: signedUp.token });
    expect(membersA.json.items.some((m: { userId: string }) => m.userId === userB.json.id)).toBe(
      false,
    );
    // A's owner cannot delete B's token through /v1 either.
    expect(
      (await gateway("DELETE", `/v1/scim/tokens/${tokenB.id}`, { token: signedUp.token })).status,
    ).toBe(404);

    // Credentials: none, malformed, an access token, a deleted SCIM token.
    const none = await fetch(`${stack.gatewayUrl}/scim/v2/Users`);
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(await none.json()).toMatchObject({ schemas: [errorUrn], status: "401" });
    expect((await a("GET", "/Users", undefined, { token: "oryn_scim_nope" })).status).toBe(401);
    expect((await a("GET", "/Users", undefined, { token: signedUp.token })).status).toBe(401);
    const deleted = await gateway("DELETE", `/v1/scim/tokens/${tokenA.id}`, {
      token: signedUp.token,
    });
    expect(deleted.status).toBe(204);
    const revoked = await a("GET", "/Users");
    expect(revoked.status).toBe(401);
    expect(revoked.json.schemas).toEqual([errorUrn]);
    const log = await gateway("GET", "/v1/security-log", { token: signedUp.token });
    expect(log.json.items.map((e: { action: string }) => e.action)).toContain("scim_token_deleted");

    // Only owners manage SCIM tokens and the group mapping.
    const userToken = signedUp.token;
    expect((await gateway("POST", "/v1/scim/tokens", { body: {} })).status).toBe(401);
    expect(userToken).toBeTruthy();
  });

  test("bad requests get SCIM errors: filters, bodies, content types, sizes", async ({
    stack,
    gateway,
    signedUp,
  }) => {
    const token = (await gateway("POST", "/v1/scim/tokens", { token: signedUp.token, body: {} }))
      .json.token as string;
    const scim = scimClient(stack.gatewayUrl, token);
    for (const filter of [
      "userName eq",
      'userName xx "a"',
      'password eq "x"',
      "((",
      'active eq "yes"',
    ]) {
      const answer = await scim("GET", `/Users?filter=${filterOf(filter)}`);
      expect(scimError(answer), filter).toEqual([400, "invalidFilter"]);
      expect(answer.json.schemas).toEqual([errorUrn]);
    }
    expect(scimError(await scim("GET", `/Groups?filter=${filterOf('members eq "x"')}`))).toEqual([
      400,
      "invalidFilter",
    ]);
    expect(scimError(await scim("POST", "/Users", undefined, { raw: "{nope" }))).toEqual([
      400,
      "invalidSyntax",
    ]);
    expect(scimError(await scim("POST", "/Users", { schemas: [userUrn] }))).toEqual([
      400,
      "invalidValue",
    ]);
    expect(
      scimError(await scim("POST", "/Users", { schemas: [userUrn], userName: "not-an-email" })),
    ).toEqual([400, "invalidValue"]);
    expect(
      (await scim("POST", "/Users", undefined, { raw: "<User/>", contentType: "text/xml" })).status,
    ).toBe(415);
    const huge = await scim("POST", "/Users", {
      schemas: [userUrn],
      userName: "big@example.test",
      padding: "x".repeat(300 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(huge.json.schemas).toEqual([errorUrn]);
    const user = await scim("POST", "/Users", {
      schemas: [userUrn],
      userName: `p-${signedUp.slug}@example.test`,
    });
    expect(
      scimError(await scim("PATCH", `/Users/${user.json.id}`, { Operations: [{ op: "replace" }] })),
    ).toEqual([400, "invalidSyntax"]);
    expect(
      scimError(
        await scim("PATCH", `/Users/${user.json.id}`, {
          schemas: [patchOp],
          Operations: [{ op: "replace", path: "active", value: "maybe" }],
        }),
      ),
    ).toEqual([400, "invalidValue"]);
    // Hostile bodies and queries: always a SCIM 4xx, never a 5xx.
    const hostile: [string, string, unknown][] = [
      ["POST", "/Users", null],
      ["POST", "/Users", []],
      ["POST", "/Users", "user"],
      ["POST", "/Users", { userName: { $gt: "" } }],
      ["POST", "/Users", { userName: "nul\u0000@example.test" }],
      ["POST", "/Users", { userName: "x@example.test", externalId: 5, name: "x" }],
      ["POST", "/Users", { userName: "x@example.test", displayName: "d".repeat(201) }],
      ["POST", "/Groups", { displayName: "G", members: "everyone" }],
      ["POST", "/Groups", { displayName: "G", members: [{ value: 1 }] }],
      ["POST", "/Groups", { displayName: "G", members: [{ value: "'; drop table users; --" }] }],
      ["POST", "/Groups", { displayName: "\u0000" }],
      ["PATCH", `/Users/${user.json.id}`, { schemas: [patchOp], Operations: "replace" }],
      ["PATCH", `/Users/${user.json.id}`, { schemas: [patchOp], Operations: [{ op: "remove" }] }],
      [
        "PATCH",
        `/Users/${user.json.id}`,
        { schemas: [patchOp], Operations: [{ op: "add", path: "emails[type eq", value: 1 }] },
      ],
      [
        "PATCH",
        `/Users/${user.json.id}`,
        { schemas: [patchOp], Operations: [{ op: "replace", value: { userName: 42 } }] },
      ],
    ];
    for (const [method, path, body] of hostile) {
      const answer = await scim(method, path, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(
        400,
      );
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      expect(answer.json.schemas).toEqual([errorUrn]);
    }
    for (const query of [
      "startIndex=99999999999",
      "count=-5",
      "startIndex=abc",
      `filter=${filterOf('userName co "%_\\"')}`,
    ]) {
      const answer = await scim("GET", `/Users?${query}`);
      expect(answer.status, query).toBeLessThan(500);
    }
    expect(
      scimError(await scim("GET", `/Users?filter=${filterOf('userName eq "\u0000"')}`)),
    ).toEqual([400, "invalidFilter"]);
    expect((await scim("GET", "/Nothing")).status).toBe(404);
    expect(scimError(await scim("GET", "/Users/not-a-uuid"))).toEqual([404, undefined]);
    expect(
      (await scim("GET", `/Users?filter=${filterOf('id eq "not-a-uuid"')}`)).json,
    ).toMatchObject({ totalResults: 0 });
    expect((await scim("DELETE", "/Groups/1")).status).toBe(404);
  });

  test("deactivation ends the person's sessions at once; the last owner stays; a SCIM user gets in by password reset", async ({
    stack,
    gateway,
    run,
    signedUp,
  }) => {
    const ownerEmail = `owner@${signedUp.slug}.test`;
    await verifyQueuedEmail(run, gateway, ownerEmail);
    // A member who signed in before the directory took them over.
    const email = `bob-${signedUp.slug}@example.test`;
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

    const scimToken = (
      await gateway("POST", "/v1/scim/tokens", { token: signedUp.token, body: {} })
    ).json.token as string;
    const scim = scimClient(stack.gatewayUrl, scimToken);
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
    const fresh = `carol-${signedUp.slug}@example.test`;
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
  });
});

describe("SCIM and a restricted tenant", () => {
  test("a restricted tenant's directory gives no one access, and can still take it away", async ({
    stack,
    gateway,
    run,
    signedUp,
  }) => {
    const token = (await gateway("POST", "/v1/scim/tokens", { token: signedUp.token, body: {} }))
      .json.token as string;
    const scim = scimClient(stack.gatewayUrl, token);
    const user = await scim("POST", "/Users", {
      schemas: [userUrn],
      userName: `r-${signedUp.slug}@example.test`,
    });
    expect(user.status).toBe(201);
    const sql = connect(run.controlPlaneUrl, { max: 1 });
    try {
      // As billing marks a tenant whose payment failed.
      await sql`update tenants set status = 'restricted' where id = ${signedUp.tenantId}`;
      const created = await scim("POST", "/Users", {
        schemas: [userUrn],
        userName: `s-${signedUp.slug}@example.test`,
      });
      expect(created.status).toBe(403);
      expect(created.json.schemas).toEqual([errorUrn]);
      const off = await scim("PATCH", `/Users/${user.json.id}`, {
        schemas: [patchOp],
        Operations: [{ op: "replace", path: "active", value: false }],
      });
      expect(off.status).toBe(200);
      const on = await scim("PATCH", `/Users/${user.json.id}`, {
        schemas: [patchOp],
        Operations: [{ op: "replace", path: "active", value: true }],
      });
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
    stack,
    gateway,
    signedUp,
  }) => {
    const token = (await gateway("POST", "/v1/scim/tokens", { token: signedUp.token, body: {} }))
      .json.token as string;
    const scim = scimClient(stack.gatewayUrl, token);
    const create = (name: string) =>
      scim("POST", "/Users", {
        schemas: [userUrn],
        userName: `${name}-${signedUp.slug}@example.test`,
      });
    // The free plan holds three members: the owner and two more.
    const [first, second] = [await create("one"), await create("two")];
    expect([first.status, second.status]).toEqual([201, 201]);
    const third = await create("three");
    expect(third.status).toBe(402);
    expect(third.json).toMatchObject({ schemas: [errorUrn], status: "402" });
    const lookup = await scim(
      "GET",
      `/Users?filter=${filterOf(`userName eq "three-${signedUp.slug}@example.test"`)}`,
    );
    expect(lookup.json.totalResults).toBe(0);
    // A deactivated user frees a seat; taking it back needs one.
    const off = await scim("PATCH", `/Users/${first.json.id}`, {
      schemas: [patchOp],
      Operations: [{ op: "replace", path: "active", value: false }],
    });
    expect(off.status).toBe(200);
    expect((await create("three")).status).toBe(201);
    const on = await scim("PATCH", `/Users/${first.json.id}`, {
      schemas: [patchOp],
      Operations: [{ op: "replace", path: "active", value: true }],
    });
    expect(on.status).toBe(402);
    expect((await scim("GET", `/Users/${first.json.id}`)).json.active).toBe(false);
  });
});
