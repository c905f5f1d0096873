import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { declaredHeaders } from "@oryn/testing/declared-headers";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { queuedMail } from "@oryn/testing/queued-mail";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The document is JSON read from the wire.
type Json = any;
const methods = ["get", "put", "post", "delete", "patch"];
const root = join(import.meta.dirname, "..");

describe("the OpenAPI document (/openapi.json)", () => {
  let oryn: Oryn;
  let document: Json;
  beforeAll(async () => {
    oryn = await startOryn(serviceEnv(testRun()));
    document = await (await fetch(`${oryn.gatewayUrl}/openapi.json`)).json();
  }, 60_000);
  afterAll(() => oryn?.stop());

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]: [string, Json]) =>
      methods.filter((m) => item[m]).map((method) => ({ path, method, operation: item[method] })),
    );

  it("passes `redocly lint` with the recommended rules (redocly.yaml), warnings included", () => {
    const folder = mkdtempSync(join(tmpdir(), "oryn-openapi-"));
    const file = join(folder, "openapi.json");
    writeFileSync(file, JSON.stringify(document));
    const lint = spawnSync(
      join(root, "node_modules", ".bin", "redocly"),
      ["lint", file, "--config", join(root, "redocly.yaml"), "--format", "stylish"],
      {
        cwd: root,
        encoding: "utf8",
        // Offline: no telemetry, no update check.
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      },
    );
    rmSync(folder, { recursive: true, force: true });
    const output = `${lint.stdout}${lint.stderr}`;
    expect(lint.status, output).toBe(0);
    expect(output, output).toMatch(/Woohoo! Your API description is valid/);
    expect(output).not.toMatch(/warning/i);
  });

  it("names every operation with a unique camelCase operationId and says where it is served", () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.servers).toEqual([{ url: "/", description: expect.any(String) }]);
  });

  it("gives every operation a success: a 2XX, or for the browser's legs of SSO a 302 with a Location", () => {
    for (const { path, method, operation } of operations()) {
      const codes = Object.keys(operation.responses);
      if (codes.some((code) => /^2\d\d$/.test(code))) continue;
      expect(codes, `${method} ${path}`).toContain("302");
      expect(operation.responses["302"].headers?.Location?.required, `${method} ${path}`).toBe(
        true,
      );
    }
  });

  it("describes each list's limit the same way, each timestamp as date-time and every error as a problem", () => {
    const limits = new Set<string>();
    for (const { path, method, operation } of operations()) {
      for (const parameter of operation.parameters ?? [])
        if (parameter.name === "limit") limits.add(JSON.stringify(parameter.schema));
      for (const [status, response] of Object.entries(operation.responses) as [string, Json][]) {
        if (Number(status) < 400) continue;
        expect(response.description, `${method} ${path} ${status}`).not.toBe("Error");
        expect(response.content["application/problem+json"].schema, `${method} ${path}`).toEqual({
          $ref: "#/components/schemas/Problem",
        });
      }
    }
    expect([...limits]).toEqual([
      JSON.stringify({ type: "integer", minimum: 1, maximum: 200, default: 50, example: 50 }),
    ]);
    for (const [name, schema] of Object.entries(document.components.schemas) as [string, Json][]) {
      for (const [property, value] of Object.entries(schema.properties ?? {}) as [string, Json][])
        if (/(At|After)$/.test(property))
          expect(value.format, `${name}.${property}`).toBe("date-time");
    }
    expect(document.components.schemas.Member.required).toContain("version");
    expect(
      document.paths["/webhooks/stripe"].post.requestBody.content["application/json"].schema,
    ).toEqual({
      $ref: "#/components/schemas/StripeEvent",
    });
  });

  it("is served from memory with an ETag, and 304 to a client that has it", async () => {
    const first = await fetch(`${oryn.gatewayUrl}/openapi.json`);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(await first.text()).toBe(JSON.stringify(document));
    const again = await fetch(`${oryn.gatewayUrl}/openapi.json`);
    expect(again.headers.get("etag")).toBe(etag);
    await again.body?.cancel();
    const cached = await fetch(`${oryn.gatewayUrl}/openapi.json`, {
      headers: { "if-none-match": `W/"other", ${etag}` },
    });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);
    expect(await cached.text()).toBe("");
    const stale = await fetch(`${oryn.gatewayUrl}/openapi.json`, {
      headers: { "if-none-match": '"not-this-one"' },
    });
    expect(stale.status).toBe(200);
    await stale.body?.cancel();
  });

  it("declares the response headers real answers carry, and carries those it declares", async () => {
    const check = declaredHeaders(document);
    const base = oryn.gatewayUrl;
    let token = "";
    const call = async (method: string, path: string, options: Json = {}) => {
      const headers: Record<string, string> = { ...options.headers };
      if (token && options.token !== false) headers.authorization = `Bearer ${token}`;
      if (options.body !== undefined) headers["content-type"] = "application/json";
      const answer = await fetch(`${base}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      check.record(method, path, answer);
      const type = answer.headers.get("content-type") ?? "";
      const body = await answer.text();
      const json = type.includes("json") && body ? JSON.parse(body) : null;
      return { status: answer.status, json, headers: answer.headers };
    };
    const slug = `hdr-${crypto.randomUUID().slice(0, 8)}`;
    const email = `o@${slug}.test`;
    const password = "a long enough password";
    const signup = await call("POST", "/v1/signup", {
      body: { company: { name: "Headers", slug }, owner: { email, password, name: "O" } },
    });
    expect(signup.status).toBe(202);
    token = signup.json.tokens.accessToken;
    for (let tries = 0; (await call("GET", "/v1/tenant")).json.status !== "active"; tries++) {
      expect(tries).toBeLessThan(600);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await call("GET", "/v1/tenant", { token: false });
    // Only a verified owner invites and creates keys: the link queued at signup is followed.
    const verification = await queuedMail(testRun(), { template: "verify-email", to: email });
    await call("POST", "/v1/auth/verify-email", {
      body: { token: verification.data.token },
      token: false,
    });
    const login = await call("POST", "/v1/auth/login", { body: { email, password } });
    await call("POST", "/v1/auth/refresh", { body: { refreshToken: login.json.refreshToken } });
    // Cookie mode, as the console uses it: the refresh token in a Set-Cookie, not the JSON.
    const browser = { "x-oryn-session": "cookie", origin: base };
    const cookieLogin = await call("POST", "/v1/auth/login", {
      body: { email, password },
      headers: browser,
      token: false,
    });
    const cookie = (cookieLogin.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const rotated = await call("POST", "/v1/auth/refresh", {
      body: {},
      headers: { ...browser, cookie },
      token: false,
    });
    await call("POST", "/v1/auth/refresh", {
      body: {},
      headers: { ...browser, cookie, origin: "https://elsewhere.example" },
      token: false,
    });
    await call("POST", "/v1/auth/logout", {
      body: {},
      headers: {
        ...browser,
        cookie: (rotated.headers.get("set-cookie") ?? "").split(";")[0] ?? "",
      },
      token: false,
    });
    await call("POST", "/v1/auth/login", { body: { email, password: "wrong" } });
    await call("GET", "/v1/members");
    await call("PATCH", `/v1/members/${signup.json.user.id}`, { body: { role: "member" } });
    const invited = await call("POST", "/v1/invitations", {
      body: { email: `i@${slug}.test`, role: "member" },
    });
    await call("GET", "/v1/invitations?limit=0");
    await call("DELETE", `/v1/invitations/${invited.json.id}`);
    const key = await call("POST", "/v1/api-keys", { body: { name: "ci", role: "member" } });
    await call("GET", "/v1/api-keys");
    await call("DELETE", `/v1/api-keys/${key.json.id}`);
    const idempotency = { "idempotency-key": crypto.randomUUID() };
    const project = await call("POST", "/v1/projects", {
      body: { name: "P" },
      headers: idempotency,
    });
    await call("POST", "/v1/projects", { body: { name: "P" }, headers: idempotency });
    const projectPath = `/v1/projects/${project.json.id}`;
    const fetched = await call("GET", projectPath);
    const etag = fetched.headers.get("etag") ?? "";
    await call("PATCH", projectPath, { body: { name: "Q" }, headers: { "if-match": etag } });
    await call("PATCH", projectPath, { body: { name: "R" }, headers: { "if-match": etag } });
    await call("GET", "/v1/projects");
    await call("POST", "/v1/projects", { body: { name: "" } });
    await call("GET", `/v1/projects/${crypto.randomUUID()}`);
    const task = await call("POST", `${projectPath}/tasks`, { body: { title: "T" } });
    const taskPath = `${projectPath}/tasks/${task.json.id}`;
    await call("GET", taskPath);
    await call("PATCH", taskPath, { body: { title: "U" } });
    await call("GET", `${projectPath}/tasks`);
    await call("DELETE", taskPath);
    await call("GET", "/v1/audit-log");
    await call("GET", "/v1/audit-log/verify");
    await call("GET", "/v1/billing/subscription");
    await call("POST", "/webhooks/stripe", {
      body: { id: "evt_1" },
      headers: { "stripe-signature": "t=1,v1=00" },
    });
    const requested = await call("POST", "/v1/tenant/exports");
    const exportPath = `/v1/tenant/exports/${requested.json.id}`;
    for (let tries = 0; (await call("GET", exportPath)).json.status !== "ready"; tries++) {
      expect(tries).toBeLessThan(600);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await call("GET", `${exportPath}/download`);
    await call("DELETE", projectPath);
    // Failed logins for one email: the login limiter answers 429 with Retry-After.
    for (let attempt = 0; attempt < 6; attempt++)
      await call("POST", "/v1/auth/login", { body: { email, password: "wrong" }, token: false });

    expect(check.problems()).toEqual([]);
    expect(check.unseen()).toEqual([]);
  });
});
