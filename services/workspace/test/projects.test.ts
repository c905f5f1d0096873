import { connect, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { activeTenant, insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspaceInProcess } from "./fixtures.ts";

const run = testRun();
const provisioning = provisioningDeps(run);
const workspace = await workspaceInProcess();
let tenant: string;
let token: string;

beforeAll(async () => {
  tenant = await activeTenant(provisioning);
  // These tests create more projects than the free plan's cap; the cap has tests of its own.
  await provisioning.controlPlane`update tenants set plan = 'business' where id = ${tenant}`;
  token = await workspace.tokenFor(tenant);
});
afterAll(async () => {
  await workspace.close();
  await provisioning.close();
});

const create = (name: string, t = token) =>
  workspace.call("POST", "/v1/projects", { token: t, body: { name } });

describe("projects: happy path", () => {
  it("pages through every project exactly once, also while rows are added and removed between pages", async () => {
    const own = workspace;
    const pagingTenant = await activeTenant(provisioning);
    await provisioning.controlPlane`update tenants set plan = 'pro' where id = ${pagingTenant}`;
    const pagingToken = await own.tokenFor(pagingTenant);
    const ids: string[] = [];
    for (let index = 0; index < 7; index++)
      ids.push((await create(`p${index}`, pagingToken)).json.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : "?limit=3";
      const page = await own.call("GET", `/v1/projects${query}`, { token: pagingToken });
      expect(page.status).toBe(200);
      seen.push(...page.json.items.map((item: { id: string }) => item.id));
      cursor = page.json.nextCursor;
      if (pages === 0) {
        // The row the cursor points at goes away, so does a row not yet seen, and a new row
        // arrives at the end: the walk must neither stall, repeat, nor show the removed row.
        for (const gone of [ids[2], ids[4]]) {
          expect(
            (await own.call("DELETE", `/v1/projects/${gone}`, { token: pagingToken })).status,
          ).toBe(204);
        }
        ids.push((await create("late", pagingToken)).json.id);
      }
      pages++;
    } while (cursor);
    expect(seen).toEqual(ids.filter((id) => id !== ids[4]));
    expect(pages).toBe(3);
  });

  it("honours If-Match on PATCH and DELETE", async () => {
    const { json: project } = await create("etag");
    const path = `/v1/projects/${project.id}`;
    const fresh = await workspace.call("PATCH", path, {
      token,
      body: { status: "archived" },
      headers: { "if-match": '"1"' },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.json).toMatchObject({ status: "archived", version: 2 });
    // Stale, malformed, and weak (If-Match compares strongly, so W/"2" does not match version 2).
    for (const ifMatch of ['"1"', "garbage", 'W/"2"', '"1", W/"2"', '"02"']) {
      const stale = await workspace.call("PATCH", path, {
        token,
        body: { name: "x" },
        headers: { "if-match": ifMatch },
      });
      expect(stale.status, ifMatch).toBe(412);
      expect(stale.json.code).toBe("precondition_failed");
    }
    expect(
      (await workspace.call("DELETE", path, { token, headers: { "if-match": '"1"' } })).status,
    ).toBe(412);
    // A list matches when any strong tag in it does.
    const listed = await workspace.call("PATCH", path, {
      token,
      body: { name: "listed" },
      headers: { "if-match": '"9", "2"' },
    });
    expect(listed.status).toBe(200);
    expect(listed.json.version).toBe(3);
    expect(
      (await workspace.call("DELETE", path, { token, headers: { "if-match": '"3"' } })).status,
    ).toBe(204);
  });

  it("lets exactly one of two concurrent PATCHes with the same ETag win", async () => {
    const { json: project } = await create("race");
    const patch = (name: string) =>
      workspace.call("PATCH", `/v1/projects/${project.id}`, {
        token,
        body: { name },
        headers: { "if-match": '"1"' },
      });
    const answers = await Promise.all([patch("left"), patch("right"), patch("middle")]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412, 412]);
  });

  it("stores quotes, unicode, emoji and SQL fragments exactly", async () => {
    const name = `Robert'); DROP TABLE projects;-- "☃" 😀 \\ %_`;
    const created = await workspace.call("POST", "/v1/projects", {
      token,
      body: { name, description: "  keeps\nspacing  " },
    });
    expect(created.status).toBe(201);
    const got = await workspace.call("GET", `/v1/projects/${created.json.id}`, { token });
    expect(got.json).toMatchObject({ name, description: "  keeps\nspacing  " });
  });
});

describe("projects: errors", () => {
  it("answers 422 validation_failed, naming the field, for bad bodies and queries", async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ["POST", "/v1/projects", { name: "" }, "name"],
      ["POST", "/v1/projects", { name: "x".repeat(201) }, "name"],
      ["POST", "/v1/projects", { name: "a\u0000b" }, "name"],
      ["POST", "/v1/projects", { name: "lone \ud800 surrogate" }, "name"],
      ["POST", "/v1/projects", { name: "ok", owner: "me" }, "(body)"],
      ["POST", "/v1/projects", [1, 2], "(body)"],
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await workspace.call(method, path, { token, body });
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
      expect(answer.json.errors.map((error: { path: string }) => error.path)).toContain(field);
    }
    const { json: project } = await create("patch me");
    const empty = await workspace.call("PATCH", `/v1/projects/${project.id}`, { token, body: {} });
    expect(empty.status).toBe(422);
    const forged = (at: string) =>
      Buffer.from(JSON.stringify([at, "00000000-0000-4000-8000-000000000000"])).toString(
        "base64url",
      );
    const badQueries = [
      "?limit=0",
      "?limit=201",
      "?limit=abc",
      "?limit=0x10",
      "?limit=1e2",
      "?cursor=bm90LWEtY3Vyc29y",
      "?cursor=%00",
    ];
    // Times PostgreSQL cannot represent, and strings that are not our microsecond counts.
    const forgedTimes = [
      "2026-02-30 00:00:00+00",
      "2026-13-45 99:99:99+00",
      "now",
      "-1",
      "1.5",
      "1e3",
      "12345678901234567",
      "1'; select 1; --",
    ];
    for (const at of forgedTimes) badQueries.push(`?cursor=${forged(at)}`);
    for (const query of badQueries) {
      const answer = await workspace.call("GET", `/v1/projects${query}`, { token });
      expect(answer.status, query).toBe(422);
    }
  });

  it("answers 404 for ids that are not projects, malformed or absent", async () => {
    for (const id of ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "1%27%20or%201=1"]) {
      for (const method of ["GET", "PATCH", "DELETE"]) {
        const answer = await workspace.call(method, `/v1/projects/${id}`, {
          token,
          body: method === "PATCH" ? { name: "x" } : undefined,
        });
        expect(answer.status, `${method} ${id}`).toBe(404);
      }
    }
  });
});

describe("projects: security", () => {
  it("refuses expired tokens, tokens for another audience, and no token", async () => {
    for (const bad of [
      await workspace.tokenFor(tenant, { expiresIn: "-1m" }),
      await workspace.tokenFor(tenant, { audience: "elsewhere" }),
      undefined,
    ]) {
      const answer = await workspace.call("GET", "/v1/projects", { token: bad });
      expect(answer.status).toBe(401);
      expect(answer.json.code).toBe("unauthorized");
    }
  });

  it("never shows one tenant another tenant's project", async () => {
    const other = await activeTenant(provisioning);
    const otherToken = await workspace.tokenFor(other);
    const { json: mine } = await create("mine");
    expect(
      (await workspace.call("GET", `/v1/projects/${mine.id}`, { token: otherToken })).status,
    ).toBe(404);
    expect(
      (await workspace.call("DELETE", `/v1/projects/${mine.id}`, { token: otherToken })).status,
    ).toBe(404);
    expect((await workspace.call("GET", `/v1/projects/${mine.id}`, { token })).status).toBe(200);
  });

  it("gates by tenant state: provisioning 409 with Retry-After, restricted read-only, deleted 404", async () => {
    const waiting = await insertTenant(provisioning.controlPlane);
    const notReady = await workspace.call("GET", "/v1/projects", {
      token: await workspace.tokenFor(waiting),
    });
    expect(notReady.status).toBe(409);
    expect(notReady.json.code).toBe("tenant_not_ready");
    expect(notReady.headers.get("retry-after")).toBe("2");

    const restricted = await activeTenant(provisioning);
    const restrictedToken = await workspace.tokenFor(restricted);
    await provisioning.controlPlane`update tenants set status = 'restricted' where id = ${restricted}`;
    expect((await workspace.call("GET", "/v1/projects", { token: restrictedToken })).status).toBe(
      200,
    );
    const write = await workspace.call("POST", "/v1/projects", {
      token: restrictedToken,
      body: { name: "no" },
    });
    expect(write.status).toBe(403);
    expect(write.json.code).toBe("tenant_restricted");

    await provisioning.controlPlane`update tenants set status = 'deleted' where id = ${restricted}`;
    expect((await workspace.call("GET", "/v1/projects", { token: restrictedToken })).status).toBe(
      404,
    );
  });

  it("connects to a tenant's database as that tenant's role", async () => {
    await create("who am i");
    const admin = connect(withDatabase(run.postgresUrl, "postgres"), { max: 1 });
    try {
      const sessions = await admin`
        select usename from pg_stat_activity
        where datname = ${tenantDatabaseName(tenant)} and application_name = 'oryn-workspace'`;
      expect(sessions.length).toBeGreaterThan(0);
      for (const session of sessions) expect(session.usename).toBe(tenantDatabaseName(tenant));
    } finally {
      await admin.end();
    }
  });
});
