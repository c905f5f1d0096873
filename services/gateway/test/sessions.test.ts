import { randomBytes, randomUUID } from "node:crypto";
import { testRun } from "@oryn/testing/context";
import { verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { whileHolding } from "@oryn/testing/row-locks";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, password, uniqueSignup } from "./fixtures.ts";

// Through a trusted proxy on loopback: each request names the address it comes from.
const gateway = await gatewayInProcess({ TRUSTED_PROXIES: "loopback" });
// A second gateway on the same control plane, as in production: it learns of ended sessions only
// through its revocation poll.
const other = await gatewayInProcess({ TRUSTED_PROXIES: "loopback", REVOCATION_POLL_MS: "100" });
afterAll(() => Promise.all([gateway.close(), other.close()]));
const { sql } = gateway.deps;

const uniqueIp = () => `203.0.113.${randomBytes(1)[0]}`;
const client = (userAgent: string, ip = uniqueIp()) => ({
  "user-agent": userAgent,
  "x-forwarded-for": ip,
});

async function signUp(headers = client("Signup/1.0")) {
  const body = uniqueSignup();
  const answer = await gateway.call("POST", "/v1/signup", { body, headers });
  expect(answer.status).toBe(202);
  // Only a verified owner creates API keys: the link queued at signup is followed.
  await verifyQueuedEmail(testRun(), gateway.call, body.owner.email);
  return { email: body.owner.email, tokens: answer.json.tokens, userId: answer.json.user.id };
}

async function logIn(email: string, headers: Record<string, string>) {
  const answer = await gateway.call("POST", "/v1/auth/login", {
    body: { email, password },
    headers,
  });
  expect(answer.status).toBe(200);
  return answer.json as { accessToken: string; refreshToken: string };
}

const sessionOf = (token: string): string =>
  JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).sid;

/** Until `gateway` answers `status` to the token (a revocation poll), within ten seconds. */
async function untilStatus(target: typeof gateway, token: string, status: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await target.call("GET", "/v1/tenant", { token });
    if (answer.status === status) return answer;
    if (Date.now() > deadline) throw new Error(`still ${answer.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("GET /v1/me/sessions", () => {
  it("lists each login with where it came from and its last refresh, the caller's marked current", async () => {
    const { email, tokens } = await signUp(client("Signup/1.0", "203.0.113.7"));
    const laptop = await logIn(email, client("Laptop/2.0", "203.0.113.8"));
    const refreshed = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: laptop.refreshToken },
      headers: client("Laptop/2.1", "203.0.113.9"),
    });
    expect(refreshed.status).toBe(200);
    // The refreshed token stays in its session.
    expect(sessionOf(refreshed.json.accessToken)).toBe(sessionOf(laptop.accessToken));

    const listed = await gateway.call("GET", "/v1/me/sessions", { token: tokens.accessToken });
    expect(listed.status).toBe(200);
    const byId = new Map(listed.json.items.map((item: { id: string }) => [item.id, item]));
    expect(listed.json.items).toHaveLength(2);
    expect(byId.get(sessionOf(tokens.accessToken))).toMatchObject({
      userAgent: "Signup/1.0",
      ip: "203.0.113.7",
      current: true,
      tenant: { id: expect.any(String), slug: expect.any(String) },
    });
    const laptopSession = byId.get(sessionOf(laptop.accessToken)) as Record<string, string>;
    expect(laptopSession).toMatchObject({
      userAgent: "Laptop/2.1",
      ip: "203.0.113.9",
      current: false,
    });
    expect(Date.parse(laptopSession.lastUsedAt ?? "")).toBeGreaterThanOrEqual(
      Date.parse(laptopSession.createdAt ?? ""),
    );
  });

  it("is for people: an API key gets 403", async () => {
    const { tokens } = await signUp();
    const key = await gateway.call("POST", "/v1/api-keys", {
      token: tokens.accessToken,
      body: { name: "robot", role: "owner" },
    });
    const answer = await gateway.call("GET", "/v1/me/sessions", { token: key.json.key });
    expect(answer.status).toBe(403);
    expect(answer.json.code).toBe("forbidden");
  });
});

describe("DELETE /v1/me/sessions/{id}", () => {
  it("ends the session: its refresh token at once, its access token on every gateway within a poll", async () => {
    const { email, tokens, userId } = await signUp();
    const phone = await logIn(email, client("Phone/1.0"));
    // Both gateways accept the phone's token before.
    expect((await other.call("GET", "/v1/tenant", { token: phone.accessToken })).status).toBe(200);

    const id = sessionOf(phone.accessToken);
    const ended = await gateway.call("DELETE", `/v1/me/sessions/${id}`, {
      token: tokens.accessToken,
    });
    expect(ended.status).toBe(204);
    // This gateway at once; the other one through its revocation poll.
    expect((await gateway.call("GET", "/v1/tenant", { token: phone.accessToken })).status).toBe(
      401,
    );
    expect((await untilStatus(other, phone.accessToken, 401)).json.code).toBe("unauthorized");
    const refresh = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: phone.refreshToken },
    });
    expect(refresh.status).toBe(401);
    // The caller's own session is untouched, and the ended one is no longer listed.
    const listed = await gateway.call("GET", "/v1/me/sessions", { token: tokens.accessToken });
    expect(listed.json.items.map((item: { id: string }) => item.id)).toEqual([
      sessionOf(tokens.accessToken),
    ]);
    const [audit] = await sql`
      select action, entity_id from audit_events where actor_id = ${userId} and action = 'session_ended'`;
    expect(audit).toMatchObject({ entityId: id });
  });

  it("answers 404 for another person's session, and for one already ended, changing nothing", async () => {
    const mine = await signUp();
    const theirs = await signUp();
    const id = sessionOf(theirs.tokens.accessToken);
    const answer = await gateway.call("DELETE", `/v1/me/sessions/${id}`, {
      token: mine.tokens.accessToken,
    });
    expect(answer.status).toBe(404);
    expect(answer.headers.get("content-type")).toBe("application/problem+json");
    expect(
      (await other.call("GET", "/v1/tenant", { token: theirs.tokens.accessToken })).status,
    ).toBe(200);
    const [session] = await sql`select ended_at from sessions where id = ${id}`;
    expect(session?.endedAt).toBeNull();
    const unknown = await gateway.call("DELETE", `/v1/me/sessions/${randomUUID()}`, {
      token: mine.tokens.accessToken,
    });
    expect(unknown.status).toBe(404);
    const notAnId = await gateway.call("DELETE", "/v1/me/sessions/not-an-id", {
      token: mine.tokens.accessToken,
    });
    expect(notAnId.status).toBe(422);
  });

  it("can end the caller's own session, whose token then stops", async () => {
    const { tokens } = await signUp();
    const id = sessionOf(tokens.accessToken);
    expect(
      (await gateway.call("DELETE", `/v1/me/sessions/${id}`, { token: tokens.accessToken })).status,
    ).toBe(204);
    expect((await gateway.call("GET", "/v1/tenant", { token: tokens.accessToken })).status).toBe(
      401,
    );
  });
});

describe("a session's refresh tokens and its row, taken in either order", () => {
  it("ends a session being refreshed: PostgreSQL's deadlock victim runs again, nobody gets a 500", async () => {
    const { email, tokens } = await signUp();
    const phone = await logIn(email, client("Phone/2.0"));
    const id = sessionOf(phone.accessToken);
    // A refresh in flight takes the presented token's row, then writes the session's
    // (touchSession); the DELETE comes in between.
    const ended = await whileHolding(sql, sql, {
      work: (tx) => tx`select id from refresh_tokens where family_id = ${id} for update`,
      concurrent: () =>
        gateway.call("DELETE", `/v1/me/sessions/${id}`, { token: tokens.accessToken }),
      afterwards: (tx) => tx`update sessions set last_used_at = now() where id = ${id}`,
    });
    expect(ended.status).toBe(204);
    const refresh = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: phone.refreshToken },
    });
    expect(refresh.status).toBe(401);
  });
});

describe("logout", () => {
  it("ends the session's access tokens too, within a revocation poll on every gateway", async () => {
    const { tokens } = await signUp();
    expect((await other.call("GET", "/v1/tenant", { token: tokens.accessToken })).status).toBe(200);
    const out = await gateway.call("POST", "/v1/auth/logout", {
      body: { refreshToken: tokens.refreshToken },
    });
    expect(out.status).toBe(204);
    expect((await gateway.call("GET", "/v1/tenant", { token: tokens.accessToken })).status).toBe(
      401,
    );
    await untilStatus(other, tokens.accessToken, 401);
  });
});

describe("a refresh token replayed within the grace window", () => {
  it("gets the same successor again from the same client", async () => {
    const { tokens } = await signUp();
    const headers = client("App/1.0");
    const refresh = () =>
      gateway.call("POST", "/v1/auth/refresh", {
        body: { refreshToken: tokens.refreshToken },
        headers,
      });
    const first = await refresh();
    const again = await refresh();
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.json.refreshToken).toBe(first.json.refreshToken);
  });

  it("from another client ends the session, the successor and its access token with it", async () => {
    const { tokens } = await signUp();
    const owner = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: tokens.refreshToken },
      headers: client("App/1.0", "203.0.113.20"),
    });
    expect(owner.status).toBe(200);
    // A thief with a copy of the spent token, a second later, from elsewhere.
    for (const thief of [client("App/1.0", "203.0.113.21"), client("curl/8", "203.0.113.20")]) {
      const replay = await gateway.call("POST", "/v1/auth/refresh", {
        body: { refreshToken: tokens.refreshToken },
        headers: thief,
      });
      expect(replay.status).toBe(401);
      expect(replay.json.code).toBe("invalid_token");
    }
    const successor = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: owner.json.refreshToken },
      headers: client("App/1.0", "203.0.113.20"),
    });
    expect(successor.status).toBe(401);
    expect(
      (await gateway.call("GET", "/v1/tenant", { token: owner.json.accessToken })).status,
    ).toBe(401);
    await untilStatus(other, owner.json.accessToken, 401);
  });
});
