import { readFileSync, writeFileSync } from "node:fs";
import { createOrynClient } from "@oryn/client";
import { describe, expect, test as it } from "@oryn/testing";
import { schemaFile, schemaSource } from "../packages/client/scripts/generate.ts";

// The file-wide stack starts inside the first test that asks for it, so that test's budget
// covers the whole stack's start (the default 30 s is short on a loaded machine).
describe("the typed client (@oryn/client)", { timeout: 120_000 }, () => {
  it("is generated from the document the running code serves (ORYN_UPDATE_CLIENT=1 rewrites it)", async ({
    stack: oryn,
  }) => {
    const document = await (await fetch(`${oryn.gatewayUrl}/openapi.json`)).json();
    const expected = await schemaSource(document);
    if (process.env.ORYN_UPDATE_CLIENT === "1") writeFileSync(schemaFile, expected);
    expect(
      readFileSync(schemaFile, "utf8"),
      "run ORYN_UPDATE_CLIENT=1 pnpm test test/client.test.ts",
    ).toBe(expected);
  });

  it("signs up, waits for the tenant and works with projects, members and problems, typed", async ({
    stack: oryn,
  }) => {
    let token: string | undefined;
    const oryn$ = createOrynClient({ baseUrl: oryn.gatewayUrl, token: () => token });
    const slug = `client-${crypto.randomUUID().slice(0, 8)}`;
    const signup = await oryn$.POST("/v1/signup", {
      body: {
        company: { name: "Client Co", slug },
        owner: { email: `o@${slug}.test`, password: "a long enough password", name: "O" },
      },
    });
    expect(signup.response.status).toBe(202);
    token = signup.data?.tokens.accessToken;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const tenant = await oryn$.GET("/v1/tenant");
      if (tenant.data?.status === "active") break;
      if (Date.now() > deadline) throw new Error("tenant did not become active");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const created = await oryn$.POST("/v1/projects", { body: { name: "Typed" } });
    expect(created.response.status).toBe(201);
    const id = created.data?.id ?? "";
    const fetched = await oryn$.GET("/v1/projects/{id}", { params: { path: { id } } });
    expect(fetched.data?.name).toBe("Typed");
    const members = await oryn$.GET("/v1/members");
    expect(members.data?.items.map((member) => member.role)).toEqual(["owner"]);
    const missing = await oryn$.GET("/v1/projects/{id}", {
      params: { path: { id: crypto.randomUUID() } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ code: "not_found" });
  });
});
