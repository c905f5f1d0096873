import { randomBytes } from "node:crypto";
import { testRun } from "@oryn/testing/context";
import { verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

// Client IPs from X-Forwarded-For, so the per-IP limit never decides a test here.
const gateway = await gatewayInProcess({ TRUSTED_PROXIES: "loopback" });
afterAll(() => gateway.close());

const get = (path: string, token: string) =>
  gateway.call("GET", path, {
    token,
    headers: { "x-forwarded-for": `10.${[...randomBytes(3)].join(".")}` },
  });

async function ownerToken(): Promise<string> {
  const answer = await gateway.call("POST", "/v1/signup", { body: uniqueSignup() });
  expect(answer.status).toBe(202);
  await verifyQueuedEmail(testRun(), gateway.call, answer.json.user.email);
  return answer.json.tokens.accessToken;
}

/** Every page of `path` at `limit`, in order. */
async function pages(path: string, token: string, limit: number) {
  const seen: { items: { id?: string; userId?: string }[]; nextCursor: string | null }[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`;
    const answer = await get(`${path}${query}`, token);
    expect(answer.status, `${path}${query}`).toBe(200);
    seen.push(answer.json);
    cursor = answer.json.nextCursor;
  } while (cursor && seen.length < 10);
  return seen;
}

describe("the gateway's lists", () => {
  it("end on a full last page with nextCursor null, not with an empty page after it", async () => {
    const token = await ownerToken();
    for (const name of ["one", "two", "three", "four"]) {
      const created = await gateway.call("POST", "/v1/api-keys", {
        token,
        body: { name, role: "member" },
      });
      expect(created.status).toBe(201);
    }
    for (const email of ["a@lists.test", "b@lists.test"]) {
      const invited = await gateway.call("POST", "/v1/invitations", {
        token,
        body: { email, role: "member" },
      });
      expect(invited.status).toBe(201);
    }

    // Exactly full: one page, and it says it is the last.
    for (const [path, limit] of [
      ["/v1/api-keys", 4],
      ["/v1/invitations", 2],
      ["/v1/members", 1],
    ] as const) {
      const all = await pages(path, token, limit);
      expect(
        all.map((page) => page.items.length),
        path,
      ).toEqual([limit]);
      expect(all[0]?.nextCursor, path).toBeNull();
    }

    // Pages that divide the list evenly: the last full page is the last page.
    const keys = await pages("/v1/api-keys", token, 2);
    expect(keys.map((page) => page.items.length)).toEqual([2, 2]);
    expect(new Set(keys.flatMap((page) => page.items.map((item) => item.id))).size).toBe(4);
    const invitations = await pages("/v1/invitations", token, 1);
    expect(invitations.map((page) => page.items.length)).toEqual([1, 1]);

    // And one that does not: the short page ends it.
    expect((await pages("/v1/api-keys", token, 3)).map((page) => page.items.length)).toEqual([
      3, 1,
    ]);
  });

  it("refuse cursors they did not give out and limits outside 1 to 200", async () => {
    const token = await ownerToken();
    for (const query of ["?cursor=bm90LWEtY3Vyc29y", "?cursor=%00", "?limit=0", "?limit=201"]) {
      for (const path of ["/v1/api-keys", "/v1/invitations", "/v1/members"]) {
        const answer = await get(`${path}${query}`, token);
        expect(answer.status, `${path}${query}`).toBe(422);
        expect(answer.json.code).toBe("validation_failed");
      }
    }
  });
});
