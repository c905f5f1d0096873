/**
 * Deleting, restoring and exporting a tenant across the real processes: the gateway's DELETE /v1/tenant,
 * the gateway's revocations, workspace's tenant gate, the provisioner's delayed deleteTenant job
 * and the operator's CLI. Every service (and the CLI) reaches the control plane as a login role
 * holding only its service role's grants, so a missing grant in migration 0009 fails here. On a
 * control plane of this file's own: no other file's provisioner takes part.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, tenantDatabaseName, tenantRoleName, withDatabase } from "@oryn/shared";
import { runCli } from "@oryn/testing/cli";
import { serviceEnv } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { isolatedRun } from "@oryn/testing/isolated-run";
import {
  freePort,
  type Oryn,
  type RunningService,
  startOryn,
  startService,
} from "@oryn/testing/processes";
import { invitationToken, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const password = "a long enough password";
const services = ["gateway", "workspace", "billing", "provisioner"] as const;
let run: Awaited<ReturnType<typeof isolatedRun>>;
let oryn: Oryn;
/** A second gateway whose grace period is two seconds, for the deletion that really happens. */
let hastyGateway: RunningService;
let admin: ReturnType<typeof connect>;
let cp: ReturnType<typeof connect>;
let cliEnv: Record<string, string>;

const loginRole = (service: string) => `oryn_del_${run.runId}_${service}`;
const asRole = (service: string) => {
  const url = new URL(run.controlPlaneUrl);
  url.username = loginRole(service);
  return url.toString();
};

beforeAll(async () => {
  run = await isolatedRun("deletion_e2e");
  admin = connect(run.postgresUrl, { max: 1 });
  cp = connect(run.controlPlaneUrl, { max: 2 });
  for (const service of services) {
    await admin`create role ${admin(loginRole(service))} login in role ${admin(`oryn_${service}`)}`;
  }
  const env = serviceEnv(run);
  oryn = await startOryn(env, {
    gateway: {
      DATABASE_URL: asRole("gateway"),
      REVOCATION_POLL_MS: "200",
      TENANT_DELETION_GRACE_SECONDS: "3600",
    },
    workspace: { DATABASE_URL: asRole("workspace"), TENANT_STATUS_CACHE_MS: "200" },
    billing: { DATABASE_URL: asRole("billing") },
    provisioner: { DATABASE_URL: asRole("provisioner") },
  });
  hastyGateway = await startService("gateway", await freePort(), {
    ...env,
    OPS_PORT: String(await freePort()),
    DATABASE_URL: asRole("gateway"),
    WORKSPACE_URL: oryn.services.workspace.url,
    BILLING_URL: oryn.services.billing.url,
    TENANT_DELETION_GRACE_SECONDS: "2",
  });
  cliEnv = { ...env, DATABASE_URL: asRole("provisioner") };
}, 60_000);

afterAll(async () => {
  await hastyGateway?.stop();
  await oryn?.stop();
  await cp?.end();
  for (const service of services) await admin`drop role if exists ${admin(loginRole(service))}`;
  await admin?.end();
  await run?.drop();
});

const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
const hasty = jsonCaller((path, init) => fetch(`${hastyGateway.url}${path}`, init));
const workspaceDirect = jsonCaller((path, init) =>
  fetch(`${oryn.services.workspace.url}${path}`, init),
);

async function until(what: string, condition: () => Promise<boolean>, ms = 15_000) {
  for (const deadline = Date.now() + ms; !(await condition()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An active tenant with an owner, an admin, a member, an API key and a project. */
async function populatedTenant(label: string) {
  const slug = `del-${label}-${run.runId}`.slice(0, 40);
  const ownerEmail = `owner@${slug}.test`;
  const signup = await call("POST", "/v1/signup", {
    body: {
      company: { name: `Deleting ${label}`, slug },
      owner: { email: ownerEmail, password, name: "Owner" },
    },
  });
  expect(signup.status, JSON.stringify(signup.json)).toBe(202);
  const owner = signup.json.tokens as { accessToken: string; refreshToken: string };
  await until(`${slug} active`, async () => {
    const tenant = await call("GET", "/v1/tenant", { token: owner.accessToken });
    return tenant.json.status === "active";
  });
  await verifyQueuedEmail(run, call, ownerEmail);
  const join = async (role: string) => {
    const email = `${role}@${slug}.test`;
    const invitation = await call("POST", "/v1/invitations", {
      token: owner.accessToken,
      body: { email, role },
    });
    const accepted = await call("POST", "/v1/invitations/accept", {
      body: { token: await invitationToken(run, invitation), name: role, password },
    });
    expect(accepted.status).toBe(200);
    return { email, ...(accepted.json as { accessToken: string; refreshToken: string }) };
  };
  const adminMember = await join("admin");
  const member = await join("member");
  const key = await call("POST", "/v1/api-keys", {
    token: owner.accessToken,
    body: { name: "ci", role: "member" },
  });
  const project = await call("POST", "/v1/projects", {
    token: owner.accessToken,
    body: { name: `Quotes "and" émojis 🚀 of ${label}`, description: "kept" },
  });
  expect(project.status).toBe(201);
  return {
    id: signup.json.tenant.id as string,
    slug,
    ownerEmail,
    owner,
    admin: adminMember,
    member,
    apiKey: key.json.key as string,
    project: project.json as { id: string; name: string },
  };
}

const auditActions = async (tenantId: string) =>
  (
    await cp<{ action: string }[]>`
      select action from audit_events where tenant_id = ${tenantId} and action like 'tenant_%'
      order by id`
  ).map((row) => row.action);

describe("DELETE /v1/tenant, restore and the deletion job, through the real processes", () => {
  let restored: Awaited<ReturnType<typeof populatedTenant>>;

  it("refuses a wrong confirmation (422 naming confirm) and an admin (403)", async () => {
    restored = await populatedTenant("r");
    const wrong = await call("DELETE", "/v1/tenant", {
      token: restored.owner.accessToken,
      body: { confirm: `${restored.slug}-not` },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.headers.get("content-type")).toContain("application/problem+json");
    expect(wrong.json.errors).toEqual([{ path: "confirm", message: expect.any(String) }]);
    const missing = await call("DELETE", "/v1/tenant", {
      token: restored.owner.accessToken,
      body: {},
    });
    expect(missing.status).toBe(422);
    expect(JSON.stringify(missing.json.errors)).toContain("confirm");
    const byAdmin = await call("DELETE", "/v1/tenant", {
      token: restored.admin.accessToken,
      body: { confirm: restored.slug },
    });
    expect(byAdmin.status).toBe(403);
    const tenant = await call("GET", "/v1/tenant", { token: restored.owner.accessToken });
    expect(tenant.json.status).toBe("active");
  });

  it("shuts every member, key and session out within seconds; workspace answers 404", async () => {
    const deleted = await call("DELETE", "/v1/tenant", {
      token: restored.owner.accessToken,
      body: { confirm: restored.slug },
    });
    expect(deleted.status, JSON.stringify(deleted.json)).toBe(202);
    expect(deleted.json).toMatchObject({ id: restored.id, status: "deleting" });
    const graceLeft = Date.parse(deleted.json.deleteAfter) - Date.now();
    expect(graceLeft).toBeGreaterThan(3500_000);
    expect(graceLeft).toBeLessThanOrEqual(3600_000);

    // The answering gateway refuses at once; the other one within its revocation poll.
    expect((await call("GET", "/v1/tenant", { token: restored.owner.accessToken })).status).toBe(
      401,
    );
    await until("the other gateway to refuse the member's token", async () => {
      const answer = await hasty("GET", "/v1/projects", { token: restored.member.accessToken });
      return answer.status === 401;
    });
    expect((await call("GET", "/v1/projects", { token: restored.admin.accessToken })).status).toBe(
      401,
    );
    expect((await call("GET", "/v1/projects", { token: restored.apiKey })).status).toBe(401);
    const refresh = await call("POST", "/v1/auth/refresh", {
      body: { refreshToken: restored.member.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const login = await call("POST", "/v1/auth/login", {
      body: { email: restored.ownerEmail, password },
    });
    expect(login.status).toBe(401);
    // Past the gateway, with a token whose signature still verifies: the tenant is gone.
    await until("workspace to see the tenant deleting", async () => {
      const answer = await workspaceDirect("GET", `/v1/projects/${restored.project.id}`, {
        token: restored.owner.accessToken,
      });
      return answer.status === 404;
    });
    expect(
      (await workspaceDirect("GET", "/v1/projects", { token: restored.owner.accessToken })).json
        .code,
    ).toBe("not_found");
  });

  it("restores within the grace period: active again, data intact, members log in again", async () => {
    const answer = await runCli(["tenants", "restore", restored.slug, "--json"], cliEnv);
    expect(answer.code, answer.stderr).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ outcome: "restored", status: "active" });
    const [row] = await cp<{ status: string; deleteAfter: Date | null }[]>`
      select status, delete_after from tenants where id = ${restored.id}`;
    expect(row).toEqual({ status: "active", deleteAfter: null });

    const login = await call("POST", "/v1/auth/login", {
      body: { email: restored.member.email, password },
    });
    expect(login.status).toBe(200);
    // Within the workspace's status cache the tenant may still look deleting for a moment.
    await until("the restored tenant's project", async () => {
      const project = await call("GET", `/v1/projects/${restored.project.id}`, {
        token: login.json.accessToken,
      });
      return project.status === 200 && project.json.name === restored.project.name;
    });
    const ownerLogin = await call("POST", "/v1/auth/login", {
      body: { email: restored.ownerEmail, password },
    });
    expect(
      (await call("GET", "/v1/tenant", { token: ownerLogin.json.accessToken })).json,
    ).toMatchObject({
      status: "active",
      deleteAfter: null,
    });
    expect((await call("GET", "/v1/projects", { token: restored.apiKey })).status).toBe(200);
    expect(await auditActions(restored.id)).toEqual([
      "tenant_deletion_requested",
      "tenant_restored",
    ]);
  });

  it("deletes after a short grace: database and role gone, status deleted, audit kept, users kept; restore refused", async () => {
    const doomed = await populatedTenant("d");
    const deleted = await hasty("DELETE", "/v1/tenant", {
      token: doomed.owner.accessToken,
      body: { confirm: doomed.slug },
    });
    expect(deleted.status).toBe(202);
    expect(Date.parse(deleted.json.deleteAfter) - Date.now()).toBeLessThanOrEqual(2000);
    // The delayed job runs about a second after the deadline.
    await until(
      "the deletion job",
      async () => {
        const [row] = await cp<
          { status: string }[]
        >`select status from tenants where id = ${doomed.id}`;
        return row?.status === "deleted";
      },
      20_000,
    );
    const [objects] = await admin<{ databases: number; roles: number }[]>`
      select (select count(*)::int from pg_database where datname = ${tenantDatabaseName(doomed.id)}) as databases,
             (select count(*)::int from pg_roles where rolname = ${tenantRoleName(doomed.id)}) as roles`;
    expect(objects).toEqual({ databases: 0, roles: 0 });
    const [left] = await cp<Record<string, number>[]>`
      select (select count(*)::int from memberships where tenant_id = ${doomed.id}) as memberships,
             (select count(*)::int from api_keys where tenant_id = ${doomed.id}) as keys,
             (select count(*)::int from refresh_tokens where tenant_id = ${doomed.id}) as sessions,
             (select count(*)::int from users where email in (${doomed.ownerEmail}, ${doomed.member.email})) as users`;
    expect(left).toEqual({ memberships: 0, keys: 0, sessions: 0, users: 2 });
    expect(await auditActions(doomed.id)).toEqual(["tenant_deletion_requested", "tenant_deleted"]);

    const refused = await runCli(["tenants", "restore", doomed.id], cliEnv);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("cannot be restored");
    expect((await call("GET", "/v1/tenant", { token: doomed.owner.accessToken })).status).toBe(401);
  });
});

describe("tenant exports, through the real processes", () => {
  const tricky = 'He said "hi" \\ then left\n🚀 naïve \u2028 done';
  let tenant: Awaited<ReturnType<typeof populatedTenant>>;
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), "oryn-export-test-"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("exports every table with its row count and the text exactly as stored", async () => {
    tenant = await populatedTenant("x");
    const project = await call("POST", "/v1/projects", {
      token: tenant.owner.accessToken,
      body: { name: "Tricky", description: tricky },
    });
    expect(project.status).toBe(201);
    const task = await call("POST", `/v1/projects/${project.json.id}/tasks`, {
      token: tenant.owner.accessToken,
      body: { title: tricky.slice(0, 40) },
    });
    expect(task.status).toBe(201);

    expect(
      (await call("POST", "/v1/tenant/exports", { token: tenant.admin.accessToken })).status,
    ).toBe(403);
    const requested = await call("POST", "/v1/tenant/exports", {
      token: tenant.owner.accessToken,
    });
    expect(requested.status, JSON.stringify(requested.json)).toBe(202);
    expect(requested.headers.get("location")).toBe(`/v1/tenant/exports/${requested.json.id}`);
    const id = requested.json.id as string;
    await until("the export", async () => {
      const status = await call("GET", `/v1/tenant/exports/${id}`, {
        token: tenant.owner.accessToken,
      });
      expect(["pending", "running", "ready"]).toContain(status.json.status);
      return status.json.status === "ready";
    });

    const download = await fetch(`${oryn.gatewayUrl}/v1/tenant/exports/${id}/download`, {
      headers: { authorization: `Bearer ${tenant.owner.accessToken}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/gzip");
    const archive = Buffer.from(await download.arrayBuffer());
    const sha = createHash("sha256").update(archive).digest("hex");
    expect(download.headers.get("x-oryn-sha256")).toBe(sha);
    const [row] = await cp<{ sha256: string; sizeBytes: string }[]>`
      select sha256, size_bytes from tenant_exports where id = ${id}`;
    expect(row).toEqual({ sha256: sha, sizeBytes: String(archive.length) });

    // Unpacked by the system's tar, not by our own code.
    const into = join(scratch, id);
    writeFileSync(`${into}.tar.gz`, archive);
    execFileSync("mkdir", ["-p", into]);
    execFileSync("tar", ["-xzf", `${into}.tar.gz`, "-C", into]);
    const manifest = JSON.parse(readFileSync(join(into, "manifest.json"), "utf8"));
    const tenantDb = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenant.id)), {
      max: 1,
    });
    try {
      const tables = await tenantDb<{ name: string }[]>`
        select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`;
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["projects", "tasks"]));
      expect(manifest.tables.map((t: { table: string }) => t.table)).toEqual(
        tables.map((t) => t.name),
      );
      const [version] = await tenantDb<
        { v: number }[]
      >`select max(version)::int as v from schema_migrations`;
      expect(manifest).toMatchObject({
        tenantId: tenant.id,
        exportId: id,
        schemaVersion: version?.v,
      });
      for (const entry of manifest.tables as {
        table: string;
        file: string;
        rows: number;
        sha256: string;
      }[]) {
        const [count] = await tenantDb<
          { n: number }[]
        >`select count(*)::int as n from ${tenantDb(entry.table)}`;
        const content = readFileSync(join(into, entry.file));
        expect(entry.rows, entry.table).toBe(count?.n);
        expect(content.toString("utf8").split("\n").filter(Boolean)).toHaveLength(entry.rows);
        expect(createHash("sha256").update(content).digest("hex"), entry.file).toBe(entry.sha256);
      }
      // Two projects (one made by populatedTenant) and the tricky text, byte for byte.
      const projects = readFileSync(join(into, "projects.ndjson"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      expect(projects.find((p) => p.id === project.json.id)?.description).toBe(tricky);
      expect(projects.find((p) => p.id === tenant.project.id)?.name).toBe(tenant.project.name);
      const tasks = readFileSync(join(into, "tasks.ndjson"), "utf8").trim().split("\n");
      expect(JSON.parse(tasks[0] ?? "{}").title).toBe(tricky.slice(0, 40));
    } finally {
      await tenantDb.end();
    }
  });

  it("refuses to hand out an export that is not ready, expired, or unknown", async () => {
    const pending = crypto.randomUUID();
    await cp`insert into tenant_exports (id, tenant_id, requested_by, expires_at)
             values (${pending}, ${tenant.id}, ${tenant.id}, now() + interval '1 hour')`;
    const notReady = await call("GET", `/v1/tenant/exports/${pending}/download`, {
      token: tenant.owner.accessToken,
    });
    expect(notReady.status).toBe(409);
    expect(notReady.json.code).toBe("export_not_ready");
    // Asking again while one is pending answers that one instead of starting another.
    const again = await call("POST", "/v1/tenant/exports", { token: tenant.owner.accessToken });
    expect(again.status).toBe(202);
    expect(again.json.id).toBe(pending);
    await cp`update tenant_exports set status = 'failed' where id = ${pending}`;

    const [ready] = await cp<{ id: string }[]>`
      update tenant_exports set expires_at = now() - interval '1 second'
      where tenant_id = ${tenant.id} and status = 'ready' returning id`;
    const expired = await call("GET", `/v1/tenant/exports/${ready?.id}/download`, {
      token: tenant.owner.accessToken,
    });
    expect(expired.status).toBe(404);
    expect(expired.json.detail).toContain("expired");
    const unknown = await call("GET", `/v1/tenant/exports/${crypto.randomUUID()}`, {
      token: tenant.owner.accessToken,
    });
    expect(unknown.status).toBe(404);
    const notAnId = await call("GET", "/v1/tenant/exports/..%2F..%2Fetc%2Fpasswd/download", {
      token: tenant.owner.accessToken,
    });
    expect(notAnId.status).toBe(422);
  });
});
