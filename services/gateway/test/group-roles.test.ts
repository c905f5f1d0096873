import { randomUUID } from "node:crypto";
import { connect } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { afterAll, describe, expect, it } from "vitest";
import { roleForGroups } from "../src/sso/group-roles.ts";

// roleForGroups against the run's control plane: what SCIM and SSO sign-in both decide roles by.
const sql = connect(testRun().controlPlaneUrl, { max: 2 });
afterAll(() => sql.end());

async function tenantWith(mapping: [string, string][]): Promise<string> {
  const id = randomUUID();
  await sql`insert into tenants (id, slug, name, status)
            values (${id}, ${`gr-${id.slice(0, 8)}`}, 'Group roles', 'active')`;
  for (const [group, role] of mapping) {
    await sql`insert into sso_group_roles (tenant_id, group_name, role) values (${id}, ${group}, ${role})`;
  }
  return id;
}

describe("roleForGroups", () => {
  it("gives the highest mapped role, matching names without regard to case", async () => {
    const tenant = await tenantWith([
      ["Engineering", "member"],
      ["Eng Leads", "admin"],
      ["Founders", "owner"],
    ]);
    expect(await roleForGroups(sql, tenant, ["engineering", "ENG LEADS"], "member")).toBe("admin");
    expect(await roleForGroups(sql, tenant, ["Founders", "Engineering"], "member")).toBe("owner");
    // A mapped group decides even when the fallback is higher.
    expect(await roleForGroups(sql, tenant, ["Engineering"], "admin")).toBe("member");
  });

  it("falls back when no group is mapped, and never reads another tenant's mapping", async () => {
    const mapped = await tenantWith([["Admins", "owner"]]);
    const other = await tenantWith([]);
    expect(await roleForGroups(sql, mapped, [], "member")).toBe("member");
    expect(await roleForGroups(sql, mapped, ["Sales"], "admin")).toBe("admin");
    expect(await roleForGroups(sql, other, ["Admins"], "member")).toBe("member");
  });
});
