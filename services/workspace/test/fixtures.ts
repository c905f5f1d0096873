import { randomUUID } from "node:crypto";
import {
  accessTokenAlgorithm,
  accessTokenType,
  createLogger,
  parseConfig,
  type Role,
  type Sql,
} from "@oryn/shared";
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { serviceEnv, testRun } from "../../../test/harness/context.ts";
import { jsonCaller } from "../../../test/harness/http.ts";
import { createWorkspaceApp } from "../src/app.ts";
import { createWorkspaceDeps } from "../src/deps.ts";
import { workspaceEnv } from "../src/env.ts";

/** Workspace in-process, verifying tokens against a key pair this test holds. */
export async function workspaceInProcess(overrides: Record<string, string> = {}) {
  const { publicKey, privateKey } = await generateKeyPair(accessTokenAlgorithm);
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: accessTokenAlgorithm };
  const config = parseConfig(workspaceEnv, {
    ...serviceEnv(testRun()),
    TENANT_STATUS_CACHE_MS: "0",
    ...overrides,
  });
  const deps = createWorkspaceDeps(
    config,
    createLogger("workspace-test", "silent"),
    createLocalJWKSet({ keys: [jwk] }),
  );
  const app = createWorkspaceApp(deps);

  function tokenFor(
    tenantId: string,
    options: { role?: Role; userId?: string; audience?: string; expiresIn?: string } = {},
  ) {
    return new SignJWT({ tid: tenantId, role: options.role ?? "member" })
      .setProtectedHeader({ alg: accessTokenAlgorithm, typ: accessTokenType, kid: "test-key" })
      .setSubject(options.userId ?? randomUUID())
      .setJti(randomUUID())
      .setIssuer("oryn")
      .setAudience(options.audience ?? "oryn-api")
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? "5m")
      .sign(privateKey);
  }

  const call = jsonCaller((path, init) => Promise.resolve(app.request(path, init)));
  return { deps, call, tokenFor, close: () => deps.close() };
}

/** A user who is a member of the tenant in the control plane (an assignee, an audit actor). */
export async function addMember(
  controlPlane: Sql,
  tenantId: string,
  role: Role = "member",
): Promise<string> {
  const userId = randomUUID();
  await controlPlane`
    insert into users (id, email, name, password_hash)
    values (${userId}, ${`${userId}@members.test`}, 'Member', 'not a real hash')`;
  await controlPlane`
    insert into memberships (tenant_id, user_id, role) values (${tenantId}, ${userId}, ${role})`;
  return userId;
}

/** Moves a tenant to another plan, as billing would. */
export async function setPlan(controlPlane: Sql, tenantId: string, plan: string): Promise<void> {
  await controlPlane`update tenants set plan = ${plan} where id = ${tenantId}`;
}
