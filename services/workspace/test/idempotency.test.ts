import { randomUUID } from "node:crypto";
import { connect, type Sql, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMember, setPlan, workspaceInProcess } from "./fixtures.ts";

const run = testRun();
const provisioning = provisioningDeps(run);
const workspace = await workspaceInProcess();
let tenant: string;
let user: string;
let token: string;
let tenantDb: Sql;

beforeAll(async () => {
  tenant = await activeTenant(provisioning);
  await setPlan(provisioning.controlPlane, tenant, "business");
  user = await addMember(provisioning.controlPlane, tenant);
  token = await workspace.tokenFor(tenant, { userId: user });
  // The superuser's view of the tenant's rows, to count what was really written.
  tenantDb = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenant)), { max: 1 });
});
afterAll(async () => {
  await tenantDb.end();
  await workspace.close();
  await provisioning.close();
});

const post = (path: string, body: unknown, key?: string, t = token) =>
  workspace.call("POST", path, {
    token: t,
    body,
    headers: key === undefined ? {} : { "idempotency-key": key },
  });

async function countRows(table: "projects" | "tasks" | "audit_log", name: string) {
  const [row] = await tenantDb<{ count: number }[]>`
    select count(*)::int as count from ${tenantDb(table)}
    where ${table === "audit_log" ? tenantDb`after->>'name' = ${name} or after->>'title' = ${name}` : table === "projects" ? tenantDb`name = ${name}` : tenantDb`title = ${name}`}`;
  return row?.count ?? 0;
}

describe("Idempotency-Key on POST", () => {
  it("answers a repeated key and body with the first answer, without a second insert", async () => {
    const key = randomUUID();
    const first = await post("/v1/projects", { name: "once", description: "d" }, key);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    // The same JSON, keys in another order: the same request.
    const again = await post("/v1/projects", { description: "d", name: "once" }, key);
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await countRows("projects", "once")).toBe(1);
    expect(await countRows("audit_log", "once")).toBe(1);
  });

  it("inserts once when requests with one key arrive at the same moment", async () => {
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post("/v1/projects", { name: "burst" }, key)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((answer) => answer.json.id)).size).toBe(1);
    expect(answers.filter((answer) => !answer.headers.get("idempotent-replayed"))).toHaveLength(1);
    expect(await countRows("projects", "burst")).toBe(1);
  });

  it("does the same for tasks", async () => {
    const { json: project } = await post("/v1/projects", { name: "with tasks" });
    const key = randomUUID();
    const path = `/v1/projects/${project.id}/tasks`;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post(path, { title: "task once" }, key)),
    );
    expect(new Set(answers.map((answer) => `${answer.status} ${answer.json.id}`)).size).toBe(1);
    expect(answers[0]?.headers.get("location")).toBe(`${path}/${answers[0]?.json.id}`);
    expect(await countRows("tasks", "task once")).toBe(1);
  });

  it("refuses the key with another body, or on another path, with 422 idempotency_key_reused", async () => {
    const key = randomUUID();
    expect((await post("/v1/projects", { name: "first body" }, key)).status).toBe(201);
    const other = await post("/v1/projects", { name: "second body" }, key);
    expect(other.status).toBe(422);
    expect(other.json.code).toBe("idempotency_key_reused");
    const { json: project } = await post("/v1/projects", { name: "elsewhere" });
    const elsewhere = await post(`/v1/projects/${project.id}/tasks`, { name: "first body" }, key);
    expect(elsewhere.status).toBe(422);
    expect(await countRows("projects", "second body")).toBe(0);
  });

  it("scopes keys to the caller: another user's same key is another request", async () => {
    const key = randomUUID();
    const mine = await post("/v1/projects", { name: "scoped" }, key);
    const colleague = await workspace.tokenFor(tenant, {
      userId: await addMember(provisioning.controlPlane, tenant),
    });
    const theirs = await post("/v1/projects", { name: "scoped" }, key, colleague);
    expect(theirs.status).toBe(201);
    expect(theirs.json.id).not.toBe(mine.json.id);
  });

  it("stores no answer for a failed write: a retry runs again", async () => {
    const key = randomUUID();
    const missing = `/v1/projects/${randomUUID()}/tasks`;
    expect((await post(missing, { title: "x" }, key)).status).toBe(404);
    const { json: project } = await post("/v1/projects", { name: "now it exists" });
    // The same key may now be used for what succeeds.
    const path = `/v1/projects/${project.id}/tasks`;
    expect((await post(path, { title: "x" }, key)).status).toBe(201);
  });

  it("replaces a key older than 24 hours", async () => {
    const key = randomUUID();
    const first = await post("/v1/projects", { name: "old key" }, key);
    // Age the stored answer as the superuser: 25 hours ago it was written.
    await tenantDb`update idempotency_keys set created_at = now() - interval '25 hours' where key = ${key}`;
    const later = await post("/v1/projects", { name: "old key" }, key);
    expect(later.status).toBe(201);
    expect(later.json.id).not.toBe(first.json.id);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
  });

  it("answers 422 naming the header for a malformed key", async () => {
    for (const key of ["", "has space", "x".repeat(256), "naïve"]) {
      const answer = await post("/v1/projects", { name: "bad key" }, key);
      expect(answer.status, JSON.stringify(key)).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
      expect(answer.json.errors.map((error: { path: string }) => error.path)).toContain(
        "idempotency-key",
      );
    }
    expect(await countRows("projects", "bad key")).toBe(0);
  });
});
