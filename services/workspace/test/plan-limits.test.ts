import { limitsOf } from "@oryn/shared";
import { describe, expect } from "@oryn/testing";
import { test as it, setPlan, workspaceInProcess } from "./fixtures.ts";

const freeCap = limitsOf("free").projects;

describe("plan limits: projects", () => {
  it("answers 402 plan_limit_reached past the plan's cap, and lets a deletion or an upgrade make room", async ({
    workspace,
    provisioning,
    tenant,
    token,
  }) => {
    const create = (name: string) =>
      workspace.call("POST", "/v1/projects", { token, body: { name } });
    const ids: string[] = [];
    for (let index = 0; index < freeCap; index++) {
      const answer = await create(`p${index}`);
      expect(answer.status).toBe(201);
      ids.push(answer.json.id);
    }
    const over = await create("one too many");
    expect(over.status).toBe(402);
    expect(over.json.code).toBe("plan_limit_reached");
    expect(over.json.detail).toContain("free plan allows 3 projects");

    expect((await workspace.call("DELETE", `/v1/projects/${ids[0]}`, { token })).status).toBe(204);
    expect((await create("room again")).status).toBe(201);
    expect((await create("full again")).status).toBe(402);

    await setPlan(provisioning.controlPlane, tenant, "pro");
    expect((await create("after the upgrade")).status).toBe(201);
  });

  it("lets exactly the cap succeed when creates race at it", async ({ workspace, token }) => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        workspace.call("POST", "/v1/projects", { token, body: { name: `race ${index}` } }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...Array(freeCap).fill(201), ...Array(10 - freeCap).fill(402)]);
    const list = await workspace.call("GET", "/v1/projects", { token });
    expect(list.json.items).toHaveLength(freeCap);
  });

  it("reaches a plan change through the status cache within its TTL, without a restart", async ({
    signer,
    provisioning,
    tenant,
    token,
  }) => {
    const cached = await workspaceInProcess({ TENANT_STATUS_CACHE_MS: "300" }, signer);
    try {
      const create = () => cached.call("POST", "/v1/projects", { token, body: { name: "p" } });
      for (let index = 0; index < freeCap; index++) expect((await create()).status).toBe(201);
      expect((await create()).status).toBe(402);
      await setPlan(provisioning.controlPlane, tenant, "pro");
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect((await create()).status).toBe(201);
    } finally {
      await cached.close();
    }
  });
});
