import { randomUUID } from "node:crypto";
import { testRun } from "@oryn/testing/context";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMember, setPlan, workspaceInProcess } from "./fixtures.ts";

const provisioning = provisioningDeps(testRun());
const workspace = await workspaceInProcess();
let tenant: string;
let token: string;
let member: string;
let project: string;

beforeAll(async () => {
  tenant = await activeTenant(provisioning);
  // More projects than the free plan's cap are made here; the cap has tests of its own.
  await setPlan(provisioning.controlPlane, tenant, "pro");
  member = await addMember(provisioning.controlPlane, tenant);
  token = await workspace.tokenFor(tenant, { userId: member });
  project = (await workspace.call("POST", "/v1/projects", { token, body: { name: "tasks" } })).json
    .id;
});
afterAll(async () => {
  await workspace.close();
  await provisioning.close();
});

const tasksOf = (projectId: string) => `/v1/projects/${projectId}/tasks`;
const createTask = (body: Record<string, unknown>, projectId = project, t = token) =>
  workspace.call("POST", tasksOf(projectId), { token: t, body });

describe("tasks: happy path", () => {
  it("creates, reads, changes and deletes a task, with Location and ETags", async () => {
    const created = await createTask({
      title: "Write the post",
      assigneeId: member,
      dueAt: "2026-12-24T18:00:00.123+01:00",
    });
    expect(created.status).toBe(201);
    const task = created.json;
    expect(task).toMatchObject({
      projectId: project,
      title: "Write the post",
      status: "todo",
      assigneeId: member,
      dueAt: "2026-12-24T17:00:00.123Z",
      version: 1,
    });
    expect(Object.keys(task).sort()).toEqual(
      [
        "assigneeId",
        "createdAt",
        "dueAt",
        "id",
        "projectId",
        "status",
        "title",
        "updatedAt",
        "version",
      ].sort(),
    );
    expect(created.headers.get("location")).toBe(`${tasksOf(project)}/${task.id}`);
    expect(created.headers.get("etag")).toBe('"1"');

    const path = `${tasksOf(project)}/${task.id}`;
    const got = await workspace.call("GET", path, { token });
    expect(got.json).toEqual(task);
    expect(got.headers.get("etag")).toBe('"1"');

    // null clears; a field left out keeps its value.
    const changed = await workspace.call("PATCH", path, {
      token,
      body: { status: "done", assigneeId: null },
      headers: { "if-match": '"1"' },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      status: "done",
      assigneeId: null,
      dueAt: "2026-12-24T17:00:00.123Z",
      version: 2,
    });
    expect(changed.headers.get("etag")).toBe('"2"');

    const stale = await workspace.call("DELETE", path, { token, headers: { "if-match": '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.json.code).toBe("precondition_failed");
    expect(
      (await workspace.call("DELETE", path, { token, headers: { "if-match": '"2"' } })).status,
    ).toBe(204);
    expect((await workspace.call("GET", path, { token })).status).toBe(404);
  });

  it("lets exactly one of concurrent PATCHes with the same ETag win", async () => {
    const { json: task } = await createTask({ title: "race" });
    const patch = (title: string) =>
      workspace.call("PATCH", `${tasksOf(project)}/${task.id}`, {
        token,
        body: { title },
        headers: { "if-match": '"1"' },
      });
    const answers = await Promise.all(["a", "b", "c", "d"].map(patch));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412, 412, 412]);
    const after = await workspace.call("GET", `${tasksOf(project)}/${task.id}`, { token });
    expect(after.json.version).toBe(2);
  });

  it("filters by status and assignee, and pages exactly once through rows added and removed between pages", async () => {
    const { json: own } = await workspace.call("POST", "/v1/projects", {
      token,
      body: { name: "paging" },
    });
    const other = await addMember(provisioning.controlPlane, tenant);
    const ids: string[] = [];
    for (let index = 0; index < 7; index++) {
      const answer = await createTask(
        { title: `t${index}`, status: index % 2 ? "done" : "todo", assigneeId: other },
        own.id,
      );
      ids.push(answer.json.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : "?limit=3";
      const page = await workspace.call("GET", `${tasksOf(own.id)}${query}`, { token });
      expect(page.status).toBe(200);
      seen.push(...page.json.items.map((item: { id: string }) => item.id));
      cursor = page.json.nextCursor;
      if (pages === 0) {
        // The cursor's own row goes, so does one not yet seen, and one arrives at the end.
        for (const gone of [ids[2], ids[4]]) {
          const path = `${tasksOf(own.id)}/${gone}`;
          expect((await workspace.call("DELETE", path, { token })).status).toBe(204);
        }
        ids.push((await createTask({ title: "late" }, own.id)).json.id);
      }
      pages++;
    } while (cursor);
    expect(seen).toEqual(ids.filter((id) => id !== ids[4]));
    expect(pages).toBe(3);

    const done = await workspace.call("GET", `${tasksOf(own.id)}?status=done`, { token });
    expect(done.json.items.map((item: { id: string }) => item.id)).toEqual([
      ids[1],
      ids[3],
      ids[5],
    ]);
    const byAssignee = await workspace.call(
      "GET",
      `${tasksOf(own.id)}?assigneeId=${other.toUpperCase()}&status=todo`,
      { token },
    );
    expect(byAssignee.json.items.map((item: { id: string }) => item.id)).toEqual([ids[0], ids[6]]);
    const nobody = await workspace.call("GET", `${tasksOf(own.id)}?assigneeId=${randomUUID()}`, {
      token,
    });
    expect(nobody.json).toEqual({ items: [], nextCursor: null });
  });

  it("deletes a project's tasks with it, and audits each", async () => {
    const { json: doomed } = await workspace.call("POST", "/v1/projects", {
      token,
      body: { name: "doomed" },
    });
    const taskIds = [
      (await createTask({ title: "one" }, doomed.id)).json.id,
      (await createTask({ title: "two" }, doomed.id)).json.id,
    ];
    expect((await workspace.call("DELETE", `/v1/projects/${doomed.id}`, { token })).status).toBe(
      204,
    );
    for (const id of taskIds) {
      const gone = await workspace.call("GET", `${tasksOf(doomed.id)}/${id}`, { token });
      expect(gone.status).toBe(404);
    }
    expect((await workspace.call("GET", tasksOf(doomed.id), { token })).status).toBe(404);
    const admin = await workspace.tokenFor(tenant, { role: "admin" });
    const log = await workspace.call("GET", "/v1/audit-log?entity=task&limit=200", {
      token: admin,
    });
    const deletions = log.json.items.filter(
      (entry: { action: string; entityId: string }) =>
        entry.action === "deleted" && taskIds.includes(entry.entityId),
    );
    expect(deletions).toHaveLength(2);
  });
});

describe("tasks: errors", () => {
  it("answers 422 when the assignee is not a member of the tenant, on create and on change", async () => {
    const outsiderTenant = await activeTenant(provisioning);
    const outsider = await addMember(provisioning.controlPlane, outsiderTenant);
    for (const assigneeId of [randomUUID(), outsider]) {
      const answer = await createTask({ title: "nobody's", assigneeId });
      expect(answer.status).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
      expect(answer.json.errors).toEqual([
        { path: "assigneeId", message: "not a member of this tenant" },
      ]);
    }
    const { json: task } = await createTask({ title: "mine" });
    const change = await workspace.call("PATCH", `${tasksOf(project)}/${task.id}`, {
      token,
      body: { assigneeId: outsider },
    });
    expect(change.status).toBe(422);
    expect(change.json.errors[0].path).toBe("assigneeId");
  });

  it("answers 422 naming the field for bad bodies and queries", async () => {
    const cases: Array<[unknown, string]> = [
      [{ title: "" }, "title"],
      [{ title: "x".repeat(501) }, "title"],
      [{ title: "ok", status: "someday" }, "status"],
      [{ title: "ok", assigneeId: "me" }, "assigneeId"],
      [{ title: "ok", dueAt: "tomorrow" }, "dueAt"],
      [{ title: "ok", dueAt: "2026-12-24T18:00:00" }, "dueAt"],
      [{ title: "ok", projectId: project }, "(body)"],
    ];
    for (const [body, field] of cases) {
      const answer = await createTask(body as Record<string, unknown>);
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.json.errors.map((error: { path: string }) => error.path)).toContain(field);
    }
    for (const query of ["?status=later", "?assigneeId=x", "?limit=0", "?cursor=garbage"]) {
      const answer = await workspace.call("GET", `${tasksOf(project)}${query}`, { token });
      expect(answer.status, query).toBe(422);
    }
  });

  it("answers 404 for a missing project, a task of another project, and malformed ids", async () => {
    const { json: task } = await createTask({ title: "here" });
    const { json: second } = await workspace.call("POST", "/v1/projects", {
      token,
      body: { name: "second" },
    });
    const missing = randomUUID();
    expect((await createTask({ title: "x" }, missing)).status).toBe(404);
    expect((await workspace.call("GET", tasksOf(missing), { token })).status).toBe(404);
    for (const method of ["GET", "PATCH", "DELETE"]) {
      for (const path of [
        `${tasksOf(second.id)}/${task.id}`,
        `${tasksOf(project)}/not-a-uuid`,
        `${tasksOf("not-a-uuid")}/${task.id}`,
      ]) {
        const answer = await workspace.call(method, path, {
          token,
          body: method === "PATCH" ? { title: "moved" } : undefined,
        });
        expect(answer.status, `${method} ${path}`).toBe(404);
      }
    }
  });
});

describe("tasks: security", () => {
  it("never shows one tenant another tenant's tasks", async () => {
    const { json: task } = await createTask({ title: "secret" });
    const other = await activeTenant(provisioning);
    const otherToken = await workspace.tokenFor(other);
    for (const [method, path] of [
      ["GET", tasksOf(project)],
      ["GET", `${tasksOf(project)}/${task.id}`],
      ["PATCH", `${tasksOf(project)}/${task.id}`],
      ["DELETE", `${tasksOf(project)}/${task.id}`],
      ["POST", tasksOf(project)],
    ] as const) {
      const answer = await workspace.call(method, path, {
        token: otherToken,
        body: method === "PATCH" || method === "POST" ? { title: "mine now" } : undefined,
      });
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    expect(
      (await workspace.call("GET", `${tasksOf(project)}/${task.id}`, { token })).json.title,
    ).toBe("secret");
  });

  it("lets a restricted tenant read tasks but not write them", async () => {
    const restricted = await activeTenant(provisioning);
    const restrictedToken = await workspace.tokenFor(restricted);
    const { json: own } = await workspace.call("POST", "/v1/projects", {
      token: restrictedToken,
      body: { name: "before" },
    });
    await provisioning.controlPlane`update tenants set status = 'restricted' where id = ${restricted}`;
    expect((await workspace.call("GET", tasksOf(own.id), { token: restrictedToken })).status).toBe(
      200,
    );
    const write = await createTask({ title: "no" }, own.id, restrictedToken);
    expect(write.status).toBe(403);
    expect(write.json.code).toBe("tenant_restricted");
  });
});
