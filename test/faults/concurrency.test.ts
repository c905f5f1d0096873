import { randomUUID } from "node:crypto";
import { connect, type Sql } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { type Answer, jsonCaller, listAll } from "@oryn/testing/http";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { eventually, signUpAndWait } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashRefreshToken } from "../../services/gateway/src/tokens/refresh-tokens.ts";
import { recordFault } from "./report.ts";

/**
 * Many clients racing on one thing, through the real gateway and workspace: one ETag, one
 * Idempotency-Key, one refresh token. Each race must have exactly one winner, and the others must
 * learn of it (412, a replay, the same successor) rather than make a second copy.
 */
const run = testRun();
let oryn: Oryn;
let controlPlane: Sql;
let call: ReturnType<typeof jsonCaller>;
let owner: Awaited<ReturnType<typeof signUpAndWait>>;
let stranger: Awaited<ReturnType<typeof signUpAndWait>>;

beforeAll(async () => {
  // Fifty requests at once from one tenant is the point here, not its plan's rate.
  oryn = await startOryn(serviceEnv(run), {
    gateway: { RATE_LIMIT_TENANT_PER_MINUTE: "1000000" },
  });
  controlPlane = connect(run.controlPlaneUrl, { max: 2 });
  call = jsonCaller((path, init) =>
    fetch(`${oryn.gatewayUrl}${path}`, { ...init, signal: AbortSignal.timeout(30_000) }),
  );
  [owner, stranger] = await Promise.all([signUpAndWait(call), signUpAndWait(call)]);
}, 90_000);
afterAll(async () => {
  await oryn?.stop();
  await controlPlane?.end();
});

const at = (count: number, send: (index: number) => Promise<Answer>) =>
  Promise.all(Array.from({ length: count }, (_, index) => send(index)));

/** 5xx, or no answer at all: what a client could not use. */
const unusable = (answers: Answer[]) => answers.filter((answer) => answer.status >= 500).length;

describe("one ETag, fifty PATCHes", () => {
  it("lets exactly one through (200) and refuses the other 49 with 412", async () => {
    const created = await call("POST", "/v1/projects", {
      token: owner.token,
      body: { name: `etag race ${randomUUID()}` },
    });
    expect(created.status).toBe(201);
    const etag = created.headers.get("etag") as string;
    const path = `/v1/projects/${created.json.id}`;
    const answers = await at(50, (index) =>
      call("PATCH", path, {
        token: owner.token,
        headers: { "if-match": etag },
        body: { description: `writer ${index} «'"; drop table projects; -- 🧵` },
      }),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(
      statuses.filter((status) => status === 200),
      JSON.stringify(statuses),
    ).toHaveLength(1);
    expect(statuses.filter((status) => status === 412)).toHaveLength(49);
    for (const refused of answers.filter((answer) => answer.status === 412)) {
      expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(refused.json.code).toBe("precondition_failed");
    }
    // The winner's change is the one stored, byte for byte, at the next version.
    const winner = answers.find((answer) => answer.status === 200) as Answer;
    const stored = await call("GET", path, { token: owner.token });
    expect(stored.json).toEqual(winner.json);
    expect(stored.json.version).toBe(created.json.version + 1);
    // Another tenant does not see it.
    const leak = await call("GET", path, { token: stranger.token });
    expect(leak.status).toBe(404);

    recordFault({
      fault: "50 concurrent PATCHes with one ETag",
      provoked: 1,
      requests: answers.length,
      clientErrors: unusable(answers),
      dataLost: 0,
      crossTenantLeaks: leak.status === 404 ? 0 : 1,
      detail: { ok: 1, preconditionFailed: 49 },
    });
  });
});

describe("one Idempotency-Key, fifty POSTs", () => {
  it("makes one row; every answer is that resource, all but the first marked as replays", async () => {
    const key = randomUUID();
    const name = `idempotent race ${key} 'quoted' "double" ✓`;
    const answers = await at(50, () =>
      call("POST", "/v1/projects", {
        token: owner.token,
        headers: { "idempotency-key": key },
        body: { name, description: "once" },
      }),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses, JSON.stringify(answers.find((a) => a.status !== 201)?.json)).toEqual(
      Array(50).fill(201),
    );
    expect(new Set(answers.map((answer) => answer.json.id)).size).toBe(1);
    expect(new Set(answers.map((answer) => answer.headers.get("location"))).size).toBe(1);
    const firsts = answers.filter((answer) => answer.headers.get("idempotent-replayed") === null);
    expect(firsts).toHaveLength(1);
    expect(
      answers.filter((answer) => answer.headers.get("idempotent-replayed") === "true"),
    ).toHaveLength(49);
    // One row with that name, as the tenant lists them.
    const listed = await listAll(call, "/v1/projects", owner.token);
    const rows = listed.filter((project) => project.name === name);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(answers[0]?.json.id);
    // The same key from another tenant is that tenant's own key: a new project of its own.
    const other = await call("POST", "/v1/projects", {
      token: stranger.token,
      headers: { "idempotency-key": key },
      body: { name, description: "once" },
    });
    expect(other.status).toBe(201);
    expect(other.json.id).not.toBe(answers[0]?.json.id);
    expect(other.headers.get("idempotent-replayed")).toBeNull();

    recordFault({
      fault: "50 concurrent POSTs with one Idempotency-Key",
      provoked: 1,
      requests: answers.length,
      clientErrors: unusable(answers),
      dataLost: 0,
      crossTenantLeaks: other.json.id === answers[0]?.json.id ? 1 : 0,
      detail: { rows: rows.length, replays: 49 },
    });
  });
});

describe("one refresh token, a hundred refreshes", () => {
  const refresh = (refreshToken: string) =>
    call("POST", "/v1/auth/refresh", { body: { refreshToken } });
  const familyOf = async (refreshToken: string) => {
    const rows = await controlPlane<{ live: boolean }[]>`
      select used_at is null and revoked_at is null and expires_at > now() as live
      from refresh_tokens
      where family_id = (select family_id from refresh_tokens where token_hash = ${hashRefreshToken(refreshToken)})`;
    return { tokens: rows.length, live: rows.filter((row) => row.live).length };
  };

  it("issues one successor: every 200 carries it, the family has one live token, and a replay after the grace revokes it", async () => {
    const { refreshToken } = owner.signup.json.tokens;
    const answers = await at(100, () => refresh(refreshToken));
    const ok = answers.filter((answer) => answer.status === 200);
    // All of them land within the grace window (10 s) on any machine that is not stalled.
    expect(
      answers.map((answer) => answer.status),
      JSON.stringify(answers.find((answer) => answer.status !== 200)?.json),
    ).toEqual(Array(100).fill(200));
    const successors = new Set(ok.map((answer) => answer.json.refreshToken as string));
    expect(successors.size).toBe(1);
    const successor = [...successors][0] as string;
    expect(successor).not.toBe(refreshToken);
    // The token and its one successor, of which only the successor is live.
    expect(await familyOf(refreshToken)).toEqual({ tokens: 2, live: 1 });

    // Outside the grace window, presenting the spent token again is a theft signal.
    await eventually(
      async () =>
        (
          await controlPlane<{ past: boolean }[]>`
          select used_at < now() - interval '10 seconds' as past from refresh_tokens
          where token_hash = ${hashRefreshToken(refreshToken)}`
        )[0]?.past,
      (past) => past === true,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const replay = await refresh(refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    // The whole family went with it, the successor included.
    expect((await refresh(successor)).status).toBe(401);
    expect(await familyOf(refreshToken)).toEqual({ tokens: 2, live: 0 });
    // The other tenant's session is untouched.
    const { refreshToken: strangers } = stranger.signup.json.tokens;
    expect((await refresh(strangers)).status).toBe(200);

    recordFault({
      fault: "100 concurrent refreshes of one token",
      provoked: 1,
      requests: answers.length + 3,
      clientErrors: unusable(answers),
      dataLost: 0,
      crossTenantLeaks: 0,
      detail: { ok: ok.length, successors: successors.size, replayRevokedFamily: true },
    });
  }, 60_000);
});
