/**
 * A hundred signups at once through the gateway (the four services as real processes), a handful
 * sharing a slug: one wins each slug, the others get 409, every winner becomes active with exactly
 * one database and one role, and the reconciler finds no orphan. Tenant databases go to a
 * PostgreSQL server of this test's own, so "no orphan" speaks of this test's objects only.
 */
import { type Sql, tenantDatabaseName } from "@oryn/shared";
import { runCli } from "@oryn/testing/cli";
import { testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { ownTenantServer } from "@oryn/testing/own-tenant-server";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { countTenantObjects } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = testRun();
let own: Awaited<ReturnType<typeof ownTenantServer>>;
let oryn: Oryn;
let cp: Sql;
let admin: Sql;
let env: Record<string, string>;

beforeAll(async () => {
  own = await ownTenantServer("signups");
  ({ cp, admin, env } = own);
  oryn = await startOryn(env);
}, 90_000);

afterAll(async () => {
  await oryn?.stop();
  await own?.close();
});

describe("a hundred concurrent signups", () => {
  it("gives each slug to one signup, 409 to the rest, and leaves no orphan", async () => {
    const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
    const tag = run.runId.slice(-6);
    // 80 slugs of their own, and 5 slugs wanted by 4 signups each.
    const slugs = [
      ...Array.from({ length: 80 }, (_, index) => `solo-${tag}-${index}`),
      ...Array.from({ length: 20 }, (_, index) => `shared-${tag}-${index % 5}`),
    ];
    const started = performance.now();
    const answers = await Promise.all(
      slugs.map((slug, index) =>
        call("POST", "/v1/signup", {
          body: {
            company: { name: `Company ${index}`, slug },
            owner: {
              email: `owner${index}@${tag}.test`,
              password: "a long enough password",
              name: "O",
            },
          },
        }).then((answer) => ({ slug, answer })),
      ),
    );
    const signupMs = performance.now() - started;

    const bySlug = new Map<string, number[]>();
    for (const { slug, answer } of answers)
      bySlug.set(slug, [...(bySlug.get(slug) ?? []), answer.status]);
    for (const [slug, statuses] of bySlug) {
      const expected = slug.startsWith("shared-") ? [202, 409, 409, 409] : [202];
      expect({ slug, statuses: statuses.sort() }).toEqual({ slug, statuses: expected });
    }
    for (const { answer } of answers.filter(({ answer }) => answer.status === 409)) {
      expect(answer.json.code).toBe("slug_taken");
    }
    const winners = answers
      .filter(({ answer }) => answer.status === 202)
      .map(({ answer }) => answer.json.tenant.id as string);
    expect(winners).toHaveLength(85);

    for (let deadline = Date.now() + 90_000; ; ) {
      const [row] = await cp<{ active: number }[]>`
        select count(*)::int as active from tenants where status = 'active'`;
      if (row?.active === winners.length) break;
      if (Date.now() > deadline) throw new Error(`only ${row?.active} of ${winners.length} active`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const allActiveMs = performance.now() - started;
    console.log(
      `[concurrent signups] 100 signups answered in ${Math.round(signupMs)} ms; 85 tenants active after ${Math.round(allActiveMs)} ms`,
    );

    for (const id of winners) {
      expect({ id, ...(await countTenantObjects(admin, id)) }).toEqual({
        id,
        databases: 1,
        roles: 1,
      });
    }
    const [onServer] = await admin<{ databases: number }[]>`
      select count(*)::int as databases from pg_database where datname ~ '^oryn_t_[0-9a-f]{32}$'`;
    expect(onServer?.databases).toBe(85);
    expect(new Set(winners.map(tenantDatabaseName)).size).toBe(85);

    const report = await runCli(["reconcile", "--json"], env);
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toEqual({ requeued: 0, orphans: [], removed: false });
  }, 150_000);
});
