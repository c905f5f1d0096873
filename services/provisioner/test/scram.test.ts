import { connect, tenantRoleName, tenantRolePassword } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, describe, expect, it } from "vitest";
import { scramSha256Verifier } from "../src/provisioning/scram.ts";

const run = testRun();
const deps = provisioningDeps(run);
afterAll(() => deps.close());

describe("SCRAM-SHA-256 verifiers", () => {
  it("match what PostgreSQL itself computes for the same password, salt and iterations", async () => {
    const admin = connect(run.postgresUrl, { max: 1 });
    const role = `oryn_scram_check_${run.runId}`;
    try {
      await admin.begin(async (tx) => {
        await tx`set local password_encryption = 'scram-sha-256'`;
        await tx`create role ${tx(role)} nologin password 'correct horse battery staple'`;
      });
      const [row] = await admin<
        { rolpassword: string }[]
      >`select rolpassword from pg_authid where rolname = ${role}`;
      const match = row?.rolpassword.match(/^SCRAM-SHA-256\$(\d+):([^$]+)\$/);
      expect(match).not.toBeNull();
      const ours = scramSha256Verifier("correct horse battery staple", {
        iterations: Number(match?.[1]),
        salt: Buffer.from(match?.[2] ?? "", "base64"),
      });
      expect(ours).toBe(row?.rolpassword);
    } finally {
      await admin`drop role if exists ${admin(role)}`;
      await admin.end();
    }
  });

  it("on a provisioned tenant role, verify the password workspace derives for it", async () => {
    // Trust authentication on the test server never checks passwords, so this checks the stored
    // verifier instead: recomputed from the derived password with its own salt, it must match.
    const tenantId = await activeTenant(deps);
    const [row] = await deps.admin<{ rolpassword: string }[]>`
      select rolpassword from pg_authid where rolname = ${tenantRoleName(tenantId)}`;
    const match = row?.rolpassword.match(/^SCRAM-SHA-256\$(\d+):([^$]+)\$/);
    const options = {
      iterations: Number(match?.[1]),
      salt: Buffer.from(match?.[2] ?? "", "base64"),
    };
    const derived = tenantRolePassword(run.tenantDbPasswordSecret, tenantId);
    expect(scramSha256Verifier(derived, options)).toBe(row?.rolpassword);
    expect(
      scramSha256Verifier(
        tenantRolePassword("another secret of 32+ characters....", tenantId),
        options,
      ),
    ).not.toBe(row?.rolpassword);
  });
});
