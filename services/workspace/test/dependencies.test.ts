import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger, parseConfig } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { freePort } from "@oryn/testing/processes";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspaceApp } from "../src/app.ts";
import { createWorkspaceDeps } from "../src/deps.ts";
import { workspaceEnv } from "../src/env.ts";
import { workspaceInProcess } from "./fixtures.ts";

/** A JWKS endpoint that is broken in the way a test asks for. */
let broken: Server;
let brokenUrl: string;
beforeAll(async () => {
  broken = createServer((request, response) => {
    if (request.url === "/500") {
      response.statusCode = 500;
      return void response.end("oops");
    }
    response.setHeader("content-type", "application/json");
    response.end('{"not":"a key set"}');
  });
  await new Promise<void>((resolve) => broken.listen(0, "127.0.0.1", resolve));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => broken.close(() => resolve())));

describe("when the gateway's signing keys cannot be had", () => {
  it("answers 503 upstream_unavailable, not 401: the token may well be good", async () => {
    const signer = await workspaceInProcess();
    const token = await signer.tokenFor("00000000-0000-4000-8000-000000000000");
    await signer.close();
    for (const jwksUrl of [
      `${brokenUrl}/500`,
      `${brokenUrl}/garbage`,
      `http://127.0.0.1:${await freePort()}/jwks`,
    ]) {
      const config = parseConfig(workspaceEnv, { ...serviceEnv(testRun()), JWKS_URL: jwksUrl });
      const deps = createWorkspaceDeps(config, createLogger("workspace-test", "silent"));
      const app = createWorkspaceApp(deps);
      const call = jsonCaller((path, init) => Promise.resolve(app.request(path, init)));
      try {
        const answer = await call("GET", "/v1/projects", { token });
        expect(answer.status, jwksUrl).toBe(503);
        expect(answer.json.code).toBe("upstream_unavailable");
      } finally {
        await deps.close();
      }
    }
  });
});

describe("workspace readiness", () => {
  it("names the dependency that does not answer", async () => {
    const config = parseConfig(workspaceEnv, {
      ...serviceEnv(testRun()),
      TENANT_DATABASE_SERVER: `postgres://127.0.0.1:${await freePort()}`,
      JWKS_URL: `${brokenUrl}/500`,
    });
    const deps = createWorkspaceDeps(config, createLogger("workspace-test", "silent"));
    const call = jsonCaller((path, init) =>
      Promise.resolve(createWorkspaceApp(deps).request(path, init)),
    );
    try {
      const answer = await call("GET", "/readyz");
      expect(answer.status).toBe(503);
      expect(answer.json.code).toBe("not_ready");
      expect(answer.json.detail).toBe("Not answering: tenantServer, signingKeys");
    } finally {
      await deps.close();
    }
  });
});

describe("when a tenant's database server is down", () => {
  it("answers 503 upstream_unavailable as problem+json, not a 500", async () => {
    const provisioning = provisioningDeps(testRun());
    const tenantId = await activeTenant(provisioning);
    // A tenant from before servers were registered: it lives on TENANT_DATABASE_SERVER. (Another
    // test file's provisioner may have registered this run's server and placed it there.)
    await provisioning.controlPlane`update tenants set server_id = null where id = ${tenantId}`;
    await provisioning.close();
    // The workspace wiring as usual, with the tenant server where nothing listens.
    const down = await workspaceInProcess({
      TENANT_DATABASE_SERVER: `postgres://127.0.0.1:${await freePort()}`,
    });
    const token = await down.tokenFor(tenantId);
    try {
      const answer = await down.call("GET", "/v1/projects", { token });
      expect(answer.status).toBe(503);
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      expect(answer.headers.get("retry-after")).toBe("5");
      expect(answer.json).toMatchObject({
        code: "upstream_unavailable",
        detail: "The tenant's database is unavailable",
      });
    } finally {
      await down.close();
    }
  });
});
