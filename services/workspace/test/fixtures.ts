import { randomUUID } from "node:crypto";
import { createLogger, parseConfig, type Role, type Sql } from "@oryn/shared";
import { test as kit } from "@oryn/testing";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { type TokenSigner, tokenSigner } from "@oryn/testing/tokens";
import { createWorkspaceApp } from "../src/app.ts";
import { createWorkspaceDeps } from "../src/deps.ts";
import { workspaceEnv } from "../src/env.ts";

/** Workspace in-process, verifying tokens signed by `signer` (a key pair of its own by default). */
export async function workspaceInProcess(
  overrides: Record<string, string> = {},
  signer?: TokenSigner,
) {
  const tokens = signer ?? (await tokenSigner());
  const config = parseConfig(workspaceEnv, {
    ...serviceEnv(testRun()),
    TENANT_STATUS_CACHE_MS: "0",
    ...overrides,
  });
  const deps = createWorkspaceDeps(config, createLogger("workspace-test", "silent"), tokens.keys);
  const app = createWorkspaceApp(deps);
  const call = jsonCaller((path, init) => Promise.resolve(app.request(path, init)));
  return { deps, call, tokenFor: tokens.tokenFor, close: () => deps.close() };
}

/** The kit's fixtures and `workspace`: the app in-process for the file, trusting `signer`. */
export const test = kit.extend(
  "workspace",
  { scope: "file" },
  async ({ signer }, { onCleanup }) => {
    const workspace = await workspaceInProcess({}, signer);
    onCleanup(() => workspace.close());
    return workspace;
  },
);

export { describe, expect } from "@oryn/testing";

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
