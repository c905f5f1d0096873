import { randomUUID } from "node:crypto";
import { connect } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Issue 4's writes through the public edge, four real processes, with workspace reaching the
 * control plane as a login role holding only `oryn_workspace`'s grants (a missing grant, e.g. on
 * memberships for the assignee check, fails here).
 */
describe("workspace through the gateway", () => {
  const run = testRun();
  const admin = connect(run.postgresUrl, { max: 1 });
  const workspaceRole = `oryn_wsgw_${run.runId}`;
  let oryn: Oryn;
  let token: string;
  let ownerId: string;

  const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));

  beforeAll(async () => {
    await admin`create role ${admin(workspaceRole)} login in role oryn_workspace`;
    const url = new URL(run.controlPlaneUrl);
    url.username = workspaceRole;
    oryn = await startOryn(serviceEnv(run), { workspace: { DATABASE_URL: url.toString() } });
    const slug = `gw-${run.runId}`;
    const signup = await call("POST", "/v1/signup", {
      body: {
        company: { name: "Gateway Co", slug },
        owner: { email: `owner@${slug}.test`, password: "a long enough password", name: "O" },
      },
    });
    expect(signup.status).toBe(202);
    token = signup.json.tokens.accessToken;
    ownerId = signup.json.user.id;
    for (let tries = 0; tries < 400; tries++) {
      const tenant = await call("GET", "/v1/tenant", { token });
      if (tenant.json.status === "active") return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("tenant did not become active");
  }, 60_000);

  afterAll(async () => {
    await oryn?.stop();
    await admin`drop role if exists ${admin(workspaceRole)}`;
    await admin.end();
  });

  it("replays an idempotent create, checks assignees, guards ETags, caps projects and audits it all", async () => {
    const key = randomUUID();
    const create = () =>
      call("POST", "/v1/projects", {
        token,
        body: { name: "through the gateway" },
        headers: { "idempotency-key": key },
      });
    const [first, second] = await Promise.all([create(), create()]);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.json.id).toBe(first.json.id);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(second.headers.get("etag")).toBe('"1"');
    expect(
      [first, second].filter((answer) => answer.headers.get("idempotent-replayed") === "true"),
    ).toHaveLength(1);
    const projectId = first.json.id as string;

    const tasks = `/v1/projects/${projectId}/tasks`;
    const task = await call("POST", tasks, { token, body: { title: "t", assigneeId: ownerId } });
    expect(task.status).toBe(201);
    expect(task.headers.get("location")).toBe(`${tasks}/${task.json.id}`);
    const stranger = await call("POST", tasks, {
      token,
      body: { title: "t", assigneeId: randomUUID() },
    });
    expect(stranger.status).toBe(422);

    const patch = (title: string) =>
      call("PATCH", `${tasks}/${task.json.id}`, {
        token,
        body: { title },
        headers: { "if-match": '"1"' },
      });
    const race = await Promise.all([patch("left"), patch("right")]);
    expect(race.map((answer) => answer.status).sort()).toEqual([200, 412]);

    // The free plan's cap is 3 projects.
    expect((await call("POST", "/v1/projects", { token, body: { name: "2" } })).status).toBe(201);
    expect((await call("POST", "/v1/projects", { token, body: { name: "3" } })).status).toBe(201);
    const over = await call("POST", "/v1/projects", { token, body: { name: "4" } });
    expect(over.status).toBe(402);
    expect(over.json.code).toBe("plan_limit_reached");

    const log = await call("GET", `/v1/audit-log?entity=task&actor=${ownerId}`, { token });
    expect(log.status).toBe(200);
    expect(log.json.items.map((entry: { action: string }) => entry.action)).toEqual([
      "updated",
      "created",
    ]);
    // The request id in the audit row is the gateway's, as returned to the client.
    expect(log.json.items[1].requestId).toBe(task.headers.get("x-request-id"));
    const verify = await call("GET", "/v1/audit-log/verify", { token });
    expect(verify.json).toMatchObject({ ok: true, checked: 5, firstBrokenId: null });
  });
});
