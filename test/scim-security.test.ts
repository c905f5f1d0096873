import { describe, expect, test } from "@oryn/testing";
import {
  errorUrn,
  filterOf,
  groupUrn,
  patchOp,
  scimError,
  tenantDirectory,
  userUrn,
} from "@oryn/testing/scim";
import { signUpAndWait, testPassword } from "@oryn/testing/wait";

// /scim/v2's walls: one tenant's token against another's users and groups, credentials, and
// bad or hostile input, each answered with a SCIM error body.

describe("SCIM security", () => {
  test("a token sees only its own tenant; deleted, foreign and missing tokens get a SCIM 401", async ({
    stack,
    gateway,
    run,
    signedUp,
    directory: { scim: a, tokenId: tokenA },
  }) => {
    const other = await signUpAndWait(gateway);
    const { scim: b, tokenId: tokenB } = await tenantDirectory(
      run,
      gateway,
      stack.gatewayUrl,
      other,
    );
    const userB = await b("POST", "/Users", {
      schemas: [userUrn],
      userName: `b@${other.slug}.example.test`,
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
    // A's directory cannot create or link an account outside A's verified domains: not B's
    // owner, not an address of B's domain, not an unknown one.
    for (const userName of [
      `owner@${other.slug}.test`,
      `someone@${other.slug}.example.test`,
      "nobody@unclaimed.example.test",
    ]) {
      const refused = await a("POST", "/Users", { schemas: [userUrn], userName });
      expect(scimError(refused), userName).toEqual([400, "invalidValue"]);
      expect(refused.json.detail).toMatch(/verified domains/);
    }
    const ownerB = await gateway("POST", "/v1/auth/login", {
      body: { email: `owner@${other.slug}.test`, password: testPassword, tenant: signedUp.slug },
    });
    expect(ownerB.status).toBeGreaterThanOrEqual(400);
    // A's owner cannot delete B's token through /v1 either.
    expect(
      (await gateway("DELETE", `/v1/scim/tokens/${tokenB}`, { token: signedUp.token })).status,
    ).toBe(404);

    // Credentials: none, malformed, an access token, a deleted SCIM token.
    const none = await fetch(`${stack.gatewayUrl}/scim/v2/Users`);
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(await none.json()).toMatchObject({ schemas: [errorUrn], status: "401" });
    expect((await a("GET", "/Users", undefined, { token: "oryn_scim_nope" })).status).toBe(401);
    expect((await a("GET", "/Users", undefined, { token: signedUp.token })).status).toBe(401);
    const deleted = await gateway("DELETE", `/v1/scim/tokens/${tokenA}`, {
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
    directory: { scim, createUser },
  }) => {
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
    const user = await createUser("p");
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

  test("concurrent creations of one userName make one user; the others get 409 uniqueness", async ({
    gateway,
    signedUp,
    directory: { scim },
  }) => {
    const userName = `race@${signedUp.slug}.example.test`;
    // An IdP retrying a slow create sends the same user again while the first is under way.
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => scim("POST", "/Users", { schemas: [userUrn], userName })),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect(scimError(answer)).toEqual([409, "uniqueness"]);
    }
    const listed = await scim("GET", `/Users?filter=${filterOf(`userName eq "${userName}"`)}`);
    expect(listed.json.totalResults).toBe(1);
    const members = await gateway("GET", "/v1/members", { token: signedUp.token });
    expect(members.json.items).toHaveLength(2);
  });
  test("PATCH paths and value keys that reach Object.prototype are refused; the gateway stays clean", async ({
    gateway,
    signedUp,
    directory: { scim, createUser },
  }) => {
    const user = await createUser("proto");
    const group = await scim("POST", "/Groups", { schemas: [groupUrn], displayName: "Proto" });
    expect([user.status, group.status]).toEqual([201, 201]);
    // Each operation as a PATCH of the user or the group, and the scimType its refusal carries.
    const onUser = (operation: unknown, scimType: string) =>
      [`/Users/${user.json.id}`, operation, scimType] as const;
    const onGroup = (operation: unknown, scimType: string) =>
      [`/Groups/${group.json.id}`, operation, scimType] as const;
    const refused = [
      onUser({ op: "add", path: "__proto__.x-polluted", value: "x" }, "invalidPath"),
      onUser({ op: "add", path: "__proto__.set-cookie", value: "x" }, "invalidPath"),
      onUser({ op: "add", path: "constructor.prototype.x-polluted", value: "x" }, "invalidPath"),
      onUser({ op: "add", path: "toString.x-polluted", value: "x" }, "invalidPath"),
      onUser({ op: "add", path: `${userUrn}:__proto__.x-polluted`, value: "x" }, "invalidPath"),
      onUser({ op: "add", path: "nickname.x", value: "x" }, "invalidPath"),
      onUser({ op: "add", value: { "__proto__.x-polluted": 1 } }, "invalidValue"),
      onUser(
        { op: "add", value: JSON.parse('{"__proto__": {"x-polluted": "x"}}') },
        "invalidValue",
      ),
      onUser({ op: "replace", value: { "constructor.prototype.x-polluted": "x" } }, "invalidValue"),
      onUser(
        { op: "replace", value: { name: JSON.parse('{"__proto__": {"x-polluted": "x"}}') } },
        "invalidValue",
      ),
      onUser(
        {
          op: "replace",
          path: "name",
          value: { constructor: { prototype: { "x-polluted": "x" } } },
        },
        "invalidValue",
      ),
      onGroup({ op: "add", path: "__proto__.x-polluted", value: "x" }, "invalidPath"),
      onGroup({ op: "add", value: { "__proto__.x-polluted": 1 } }, "invalidValue"),
      onGroup(
        {
          op: "add",
          path: "members",
          value: [JSON.parse('{"value": "a", "__proto__": {"x-polluted": "x"}}')],
        },
        "invalidValue",
      ),
    ];
    for (const [path, operation, scimType] of refused) {
      const answer = await scim("PATCH", path, { schemas: [patchOp], Operations: [operation] });
      expect(scimError(answer), JSON.stringify(operation)).toEqual([400, scimType]);
    }
    // The gateway's Object.prototype is untouched: hono would have sent the polluted keys as
    // headers with every answer, and a number among them would have made every answer throw.
    const after = await scim("GET", `/Users/${user.json.id}`);
    expect(after.status).toBe(200);
    expect(after.headers.get("x-polluted")).toBeNull();
    expect(after.headers.get("set-cookie")).toBeNull();
    expect(after.json.name?.["x-polluted"]).toBeUndefined();
    const health = await gateway("GET", "/v1/members", { token: signedUp.token });
    expect(health.status).toBe(200);
    expect(health.headers.get("x-polluted")).toBeNull();
    // What Entra ID sends for attributes we do not keep is still accepted and dropped.
    const entra = await scim("PATCH", `/Users/${user.json.id}`, {
      schemas: [patchOp],
      Operations: [
        { op: "Add", path: "title", value: "Engineer" },
        { op: "Add", path: 'phoneNumbers[type eq "work"].value', value: "+1 555" },
        { op: "Replace", value: { displayName: "Proto Person" } },
      ],
    });
    expect(entra.status).toBe(200);
    expect(entra.json.displayName).toBe("Proto Person");
    expect(entra.json.title).toBeUndefined();
  });
});
