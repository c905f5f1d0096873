import { describe, expect, test } from "@oryn/testing";
import {
  errorUrn,
  filterOf,
  groupUrn,
  patchOp,
  scimClient,
  scimError,
  userUrn,
  verifiedScimDomain,
} from "@oryn/testing/scim";

// SCIM 2.0 at /scim/v2 through the gateway as a real process, with the requests Okta's SCIM 2.0
// test suite and Entra ID's provisioning service (and its SCIM validator) send. Security cases:
// scim-security.test.ts; sessions, owners and plans: scim-membership.test.ts.

describe("SCIM provisioning", () => {
  test("Okta's sequence: users found by userName, created, replaced, deactivated, reactivated, deleted; groups with members", async ({
    stack,
    gateway,
    run,
    signedUp,
  }) => {
    await verifiedScimDomain(run, signedUp);
    const owner = signedUp.token;
    const created = await gateway("POST", "/v1/scim/tokens", {
      token: owner,
      body: { description: "Okta" },
    });
    expect(created.status).toBe(201);
    expect(created.json.token).toMatch(/^oryn_scim_/);
    const listed = await gateway("GET", "/v1/scim/tokens", { token: owner });
    expect(listed.json).toMatchObject({ items: [expect.any(Object)], nextCursor: null });
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
    const email = `jane@${signedUp.slug}.example.test`;
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
      userName: `john@${signedUp.slug}.example.test`,
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
    // A replace may keep its own name, not take another's (whatever its case): 409, unchanged.
    const other = await scim("POST", "/Groups", { schemas: [groupUrn], displayName: "Sales" });
    expect(other.status).toBe(201);
    const clash = await scim("PUT", `/Groups/${groupId}`, {
      schemas: [groupUrn],
      displayName: "SALES",
      members: [],
    });
    expect(scimError(clash)).toEqual([409, "uniqueness"]);
    expect((await scim("GET", `/Groups/${groupId}`)).json.displayName).toBe("Admins");
    expect((await scim("DELETE", `/Groups/${other.json.id}`)).status).toBe(204);
    const taken = await scim("PUT", `/Users/${id}`, {
      schemas: [userUrn],
      userName: `JOHN@${signedUp.slug}.example.test`,
      active: true,
    });
    expect(scimError(taken)).toEqual([409, "uniqueness"]);
    expect((await scim("GET", `/Users/${id}`)).json.userName).toBe(email);
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
  }, 90_000);

  test("Entra ID's sequence: string booleans, path-less and filtered operations, members removed by value", async ({
    gateway,
    signedUp,
    directory: { scim },
  }) => {
    const upn = `sandy@${signedUp.slug}.example.test`;
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
});
