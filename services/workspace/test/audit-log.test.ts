import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestRun } from "@oryn/testing/context";
import { activeTenant } from "@oryn/testing/tenants";
import { addMember, describe, expect, setPlan, test } from "./fixtures.ts";

/** A business tenant with an admin and a member, and their tokens, shared by the file's tests. */
const it = test.extend("team", { scope: "file" }, async ({ provisioning, workspace }) => {
  const tenant = await activeTenant(provisioning);
  await setPlan(provisioning.controlPlane, tenant, "business");
  const admin = await addMember(provisioning.controlPlane, tenant, "admin");
  const member = await addMember(provisioning.controlPlane, tenant);
  return {
    tenant,
    admin,
    member,
    adminToken: await workspace.tokenFor(tenant, { userId: admin, role: "admin" }),
    memberToken: await workspace.tokenFor(tenant, { userId: member }),
  };
});

/** `pnpm audit:verify <tenant>` from the repository root, as an operator runs it. */
async function auditVerify(run: TestRun, tenant: string) {
  const root = join(import.meta.dirname, "..", "..", "..");
  try {
    const { stdout, stderr } = await promisify(execFile)(
      "pnpm",
      ["--silent", "audit:verify", tenant],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          DATABASE_URL: run.controlPlaneUrl,
          TENANT_DATABASE_URL: run.postgresUrl,
          LOG_LEVEL: "silent",
        },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("audit log", () => {
  // The shared tenant is provisioned under the hook's timeout, not the first test's.
  it.beforeAll(async ({ team }) => {
    expect(team.tenant).toBeTruthy();
  });

  it("records each change with actor, request id, before and after, and lists it by entity, actor and time", async ({
    workspace,
    team: { admin, member, adminToken, memberToken },
  }) => {
    const requestId = `req-${randomUUID()}`;
    const created = await workspace.call("POST", "/v1/projects", {
      token: memberToken,
      body: { name: "audited" },
      headers: { "x-request-id": requestId },
    });
    const project = created.json;
    const renamed = await workspace.call("PATCH", `/v1/projects/${project.id}`, {
      token: adminToken,
      body: { name: "renamed" },
    });
    expect(renamed.status).toBe(200);
    const task = await workspace.call("POST", `/v1/projects/${project.id}/tasks`, {
      token: memberToken,
      body: { title: "audited task" },
    });

    const all = await workspace.call("GET", "/v1/audit-log", { token: adminToken });
    expect(all.status).toBe(200);
    // Newest first.
    expect(
      all.json.items
        .slice(0, 3)
        .map((entry: { action: string; entity: string }) => [entry.entity, entry.action]),
    ).toEqual([
      ["task", "created"],
      ["project", "updated"],
      ["project", "created"],
    ]);
    const [, update, creation] = all.json.items;
    expect(creation).toMatchObject({
      actorId: member,
      action: "created",
      entity: "project",
      entityId: project.id,
      before: null,
      requestId,
    });
    expect(creation.after).toMatchObject({ id: project.id, name: "audited", version: 1 });
    expect(update).toMatchObject({ actorId: admin, action: "updated" });
    expect(update.before).toMatchObject({ name: "audited", version: 1 });
    expect(update.after).toMatchObject({ name: "renamed", version: 2 });
    expect(Object.keys(update).sort()).toEqual(
      [
        "action",
        "actorId",
        "after",
        "at",
        "before",
        "entity",
        "entityId",
        "id",
        "requestId",
      ].sort(),
    );

    const tasks = await workspace.call("GET", "/v1/audit-log?entity=task", { token: adminToken });
    expect(tasks.json.items.map((entry: { entityId: string }) => entry.entityId)).toEqual([
      task.json.id,
    ]);
    const byAdmin = await workspace.call("GET", `/v1/audit-log?actor=${admin}`, {
      token: adminToken,
    });
    expect(byAdmin.json.items.map((entry: { id: string }) => entry.id)).toEqual([update.id]);
    const window = (from: string, to: string) =>
      workspace.call(
        "GET",
        `/v1/audit-log?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
        { token: adminToken },
      );
    // from is inclusive, to exclusive.
    const onlyUpdate = await window(update.at, all.json.items[0].at);
    expect(onlyUpdate.json.items.map((entry: { id: string }) => entry.id)).toEqual([update.id]);
    expect((await window("2000-01-01T00:00:00Z", "2000-01-02T00:00:00+02:00")).json.items).toEqual(
      [],
    );
  });

  it("pages newest first without repeats while entries are added between pages", async ({
    workspace,
    provisioning,
  }) => {
    const own = await activeTenant(provisioning);
    await setPlan(provisioning.controlPlane, own, "pro");
    const token = await workspace.tokenFor(own, { role: "owner" });
    // More than 9 entries, so ids of one and two digits meet (numeric, not text, order).
    for (let index = 0; index < 11; index++) {
      await workspace.call("POST", "/v1/projects", { token, body: { name: `p${index}` } });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=4&cursor=${cursor}` : "?limit=4";
      const page = await workspace.call("GET", `/v1/audit-log${query}`, { token });
      expect(page.status).toBe(200);
      seen.push(...page.json.items.map((entry: { id: string }) => entry.id));
      cursor = page.json.nextCursor;
      if (pages++ === 0)
        await workspace.call("POST", "/v1/projects", { token, body: { name: "new" } });
    } while (cursor);
    expect(seen).toHaveLength(11);
    expect(new Set(seen).size).toBe(11);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
  });

  it("is for admins and owners only, and refuses bad filters with 422", async ({
    workspace,
    team: { adminToken, memberToken },
  }) => {
    for (const path of ["/v1/audit-log", "/v1/audit-log/verify"]) {
      const answer = await workspace.call("GET", path, { token: memberToken });
      expect(answer.status, path).toBe(403);
      expect(answer.json.code).toBe("forbidden");
    }
    for (const query of [
      "?entity=user",
      "?actor=someone",
      "?from=yesterday",
      "?to=2026-01-01T00:00:00",
      "?cursor=MA",
      "?cursor=not-ours",
      "?limit=500",
    ]) {
      const answer = await workspace.call("GET", `/v1/audit-log${query}`, { token: adminToken });
      expect(answer.status, query).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
    }
  });

  it("keeps one unbroken chain while many writers append at once", async ({
    workspace,
    provisioning,
    tenantSql,
  }) => {
    const busy = await activeTenant(provisioning);
    await setPlan(provisioning.controlPlane, busy, "business");
    const token = await workspace.tokenFor(busy);
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        workspace.call("POST", "/v1/projects", { token, body: { name: `w${index}` } }),
      ),
    );
    const owner = await workspace.tokenFor(busy, { role: "owner" });
    const report = await workspace.call("GET", "/v1/audit-log/verify", { token: owner });
    expect(report.json).toEqual({ ok: true, checked: 20, firstBrokenId: null, reason: null });
    // No two rows link to the same predecessor: the chain did not fork.
    const [links] = await tenantSql.asSuperuser(busy)<{ rows: number; distinctLinks: number }[]>`
      select count(*)::int as rows, count(distinct coalesce(prev_hash, ''::bytea))::int as distinct_links
      from audit_log`;
    expect(links).toEqual({ rows: 20, distinctLinks: 20 });
    // With two rows broken, the first by id is named (9, not 12 as text order would have it).
    await tenantSql.asSuperuser(busy).begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update audit_log set request_id = 'forged' where id in (9, 12)`;
    });
    const broken = await workspace.call("GET", "/v1/audit-log/verify", { token: owner });
    expect(broken.json).toMatchObject({ ok: false, firstBrokenId: "9" });
  });

  it("reports a row edited by the database superuser, through the API and the operator command", async ({
    run,
    workspace,
    provisioning,
    tenantSql,
  }) => {
    const victim = await activeTenant(provisioning);
    const [tenantRow] = await provisioning.controlPlane<{ slug: string }[]>`
      select slug from tenants where id = ${victim}`;
    const token = await workspace.tokenFor(victim, { role: "admin" });
    for (const name of ["a", "b", "c"]) {
      await workspace.call("POST", "/v1/projects", { token, body: { name } });
    }
    const intact = await workspace.call("GET", "/v1/audit-log/verify", { token });
    expect(intact.json).toEqual({ ok: true, checked: 3, firstBrokenId: null, reason: null });
    const clean = await auditVerify(run, victim);
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ tenantId: victim, ok: true, checked: 3 });

    // The superuser switches the append-only trigger off for its session and rewrites history.
    const superuser = tenantSql.asSuperuser(victim);
    const [middle] = await superuser<{ id: string }[]>`
      select id::text as id from audit_log order by id offset 1 limit 1`;
    await superuser.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update audit_log set after = jsonb_set(after, '{name}', '"forged"') where id = ${middle?.id ?? "0"}::bigint`;
    });

    const broken = await workspace.call("GET", "/v1/audit-log/verify", { token });
    expect(broken.json).toMatchObject({ ok: false, checked: 3, firstBrokenId: middle?.id });
    expect(broken.json.reason).toContain("was changed");
    const command = await auditVerify(run, tenantRow?.slug ?? "");
    expect(command.code).toBe(1);
    expect(JSON.parse(command.stdout)).toMatchObject({ ok: false, firstBrokenId: middle?.id });
    expect(command.stderr).toContain(`BROKEN at row ${middle?.id}`);

    // Removing the last rows is caught by the chain head.
    await superuser.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update audit_log set after = jsonb_set(after, '{name}', '"b"') where id = ${middle?.id ?? "0"}::bigint`;
      await tx`delete from audit_log where id = (select max(id) from audit_log)`;
    });
    const truncated = await workspace.call("GET", "/v1/audit-log/verify", { token });
    expect(truncated.json).toMatchObject({ ok: false, checked: 2 });
    expect(truncated.json.reason).toContain("rows at the end were removed");
  });

  it("names an unknown tenant with exit status 2", async ({ run }) => {
    const answer = await auditVerify(run, "no-such-tenant");
    expect(answer.code).toBe(2);
    expect(answer.stderr).toContain("no tenant");
  });

  it("gives the tenant's role no way to write the chain or the idempotency store of another caller's making", async ({
    tenantSql,
    team: { tenant },
  }) => {
    const own = tenantSql.asTenant(tenant);
    const code = (query: Promise<unknown>) =>
      query.then(
        () => "ok",
        (error: { code?: string }) => error.code,
      );
    expect(await code(own`update audit_chain_head set last_hash = null`)).toBe("42501");
    expect(await code(own`insert into audit_chain_head default values`)).toBe("42501");
    expect(await code(own`update audit_log set hash = null`)).toBe("42501");
    expect(await code(own`select count(*) from audit_chain_head`)).toBe("ok");
    expect(await code(own`drop trigger tasks_audit on tasks`)).toBe("42501");
  });
});
