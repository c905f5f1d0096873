/**
 * `pnpm oryn tenants move`: a tenant's database goes from the machine's server to one this test
 * starts, through the real CLI, while the four services run. Its data arrives whole, writes are
 * paused (503) meanwhile and accepted again afterwards, and the old copy is gone.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sql } from "@oryn/shared";
import { runCli } from "@oryn/testing/cli";
import { testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import type { Oryn } from "@oryn/testing/processes";
import { countTenantObjects } from "@oryn/testing/tenants";
import { twoServerStack } from "@oryn/testing/two-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = testRun();
let stack: Awaited<ReturnType<typeof twoServerStack>>;
let oryn: Oryn;
let cp: Sql;
let firstAdmin: Sql;
let secondAdmin: Sql;
let env: Record<string, string>;

beforeAll(async () => {
  // Only the first server takes new tenants; the second is where the move goes.
  stack = await twoServerStack("move", {
    secondState: "draining",
    env: { TENANT_STATUS_CACHE_MS: "300" },
    overrides: { gateway: { RATE_LIMIT_TENANT_PER_MINUTE: "100000" } },
  });
  ({ oryn, cp, firstAdmin, secondAdmin, env } = stack);
}, 90_000);

afterAll(() => stack?.close());

describe("moving a tenant to another database server", () => {
  it("copies, verifies, switches and drops the old copy, pausing only writes", async () => {
    const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
    const slug = `move-${run.runId.slice(-6)}`;
    const signup = await call("POST", "/v1/signup", {
      body: {
        company: { name: "Moving Co", slug },
        owner: { email: `o@${slug}.test`, password: "a long enough password", name: "O" },
      },
    });
    const token = signup.json.tokens.accessToken;
    const tenantId = signup.json.tenant.id;
    // Room for the writes below: the free plan's projects cap is tested elsewhere.
    await cp`update tenants set plan = 'business' where id = ${tenantId}`;
    for (const deadline = Date.now() + 30_000; ; ) {
      if ((await call("GET", "/v1/tenant", { token })).json.status === "active") break;
      if (Date.now() > deadline) throw new Error("tenant did not become active");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const names = ["Quotes ' and \" stay", "Émoji 🚚 too", "Third"];
    for (const name of names) {
      expect((await call("POST", "/v1/projects", { token, body: { name } })).status).toBe(201);
    }

    // A copy that fails (here a pg_restore that refuses) leaves the tenant where it was, its
    // writes accepted again and no half-made copy on the target.
    const broken = mkdtempSync(join(tmpdir(), "oryn-broken-pg-"));
    try {
      symlinkSync(execFileSync("which", ["pg_dump"]).toString().trim(), join(broken, "pg_dump"));
      writeFileSync(join(broken, "pg_restore"), "#!/bin/sh\necho 'restore refused' >&2\nexit 1\n", {
        mode: 0o755,
      });
      const failed = await runCli(["tenants", "move", slug, "--to", "two", "--settle-ms", "100"], {
        ...env,
        PG_BIN_DIR: broken,
      });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/pg_restore failed \(1\): restore refused/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
    const [stayed] = await cp<{ name: string; movingSince: Date | null }[]>`
      select s.name, t.moving_since from tenants t join database_servers s on s.id = t.server_id
      where t.id = ${tenantId}`;
    expect(stayed).toEqual({ name: "one", movingSince: null });
    expect(await countTenantObjects(secondAdmin, tenantId)).toEqual({ databases: 0, roles: 0 });

    const moving = runCli(
      ["tenants", "move", slug, "--to", "two", "--settle-ms", "600", "--json"],
      env,
    );
    // Meanwhile a write is refused 503 with Retry-After, and reads go on.
    let refusedWrite: Awaited<ReturnType<typeof call>> | undefined;
    for (const deadline = Date.now() + 20_000; !refusedWrite && Date.now() < deadline; ) {
      const write = await call("POST", "/v1/projects", { token, body: { name: "During" } });
      if (write.status === 503) refusedWrite = write;
      else expect(write.status).toBe(201);
      expect((await call("GET", "/v1/projects", { token })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refusedWrite?.json.detail).toMatch(/being moved/);
    expect(refusedWrite?.headers.get("retry-after")).toBe("5");
    const result = await moving;
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ slug, from: "one", to: "two" });

    // The database and role live on the second server only, the projects with them.
    expect(await countTenantObjects(secondAdmin, tenantId)).toEqual({ databases: 1, roles: 1 });
    expect(await countTenantObjects(firstAdmin, tenantId)).toEqual({ databases: 0, roles: 0 });
    const [placed] = await cp<{ name: string; movingSince: Date | null }[]>`
      select s.name, t.moving_since from tenants t join database_servers s on s.id = t.server_id
      where t.id = ${tenantId}`;
    expect(placed).toEqual({ name: "two", movingSince: null });
    expect(report.tables.projects).toBeGreaterThanOrEqual(names.length);

    // Served from there, with its data intact, and writable again.
    for (const deadline = Date.now() + 10_000; ; ) {
      const write = await call("POST", "/v1/projects", { token, body: { name: "After" } });
      if (write.status === 201) break;
      if (Date.now() > deadline) throw new Error(`writes not back: ${JSON.stringify(write.json)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const listed = await call("GET", "/v1/projects?limit=200", { token });
    const listedNames = listed.json.items.map((item: { name: string }) => item.name);
    expect(listedNames).toEqual(expect.arrayContaining([...names, "After"]));
    const verified = await call("GET", "/v1/audit-log/verify", { token });
    expect(verified.json).toMatchObject({ ok: true });
    // The operator's check finds the database on its new server too.
    const audit = await runCli(["audit", "verify", slug], env);
    expect(audit.code, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ tenantId, ok: true });

    // Moving it where it already is, or somewhere unknown, is refused.
    const again = await runCli(["tenants", "move", slug, "--to", "two"], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already on two/);
    const nowhere = await runCli(["tenants", "move", slug, "--to", "nowhere"], env);
    expect(nowhere.code).toBe(1);
  }, 120_000);
});
