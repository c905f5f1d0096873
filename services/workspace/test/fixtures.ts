import { randomUUID } from "node:crypto";
import {
  accessTokenAlgorithm,
  accessTokenType,
  createLogger,
  parseConfig,
  type Role,
} from "@oryn/shared";
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { serviceEnv, testRun } from "../../../test/harness/context.ts";
import { createWorkspaceApp } from "../src/app.ts";
import { createWorkspaceDeps } from "../src/deps.ts";
import { workspaceEnv } from "../src/env.ts";

export type Answer = { status: number; headers: Headers; json: any };

/** Workspace in-process, verifying tokens against a key pair this test holds. */
export async function workspaceInProcess() {
  const { publicKey, privateKey } = await generateKeyPair(accessTokenAlgorithm);
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: accessTokenAlgorithm };
  const config = parseConfig(workspaceEnv, {
    ...serviceEnv(testRun()),
    TENANT_STATUS_CACHE_MS: "0",
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

  async function call(
    method: string,
    path: string,
    options: {
      token?: string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = options.raw ?? JSON.stringify(options.body);
      headers["content-length"] ??= String(Buffer.byteLength(body));
    }
    const response = await app.request(path, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: text ? JSON.parse(text) : undefined,
    };
  }
  return { deps, call, tokenFor, close: () => deps.close() };
}
