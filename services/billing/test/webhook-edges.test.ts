import { testRun } from "@oryn/testing/context";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billingInProcess, webhookSecret } from "./fixtures.ts";

// Signed with the real scheme, so only what the tests change (time, shape) is wrong.
const signer = new Stripe("sk_test_signer_only");
const sign = (payload: string, timestamp = Math.floor(Date.now() / 1000)) =>
  signer.webhooks.generateTestHeaderStringAsync({ payload, secret: webhookSecret, timestamp });
const eventId = () => `evt_edge_${crypto.randomUUID().replaceAll("-", "")}`;
const event = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: eventId(),
    object: "event",
    type: "customer.updated",
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: "cus_edge", object: "customer" } },
    ...fields,
  });

let billing: Awaited<ReturnType<typeof billingInProcess>>;
beforeAll(async () => {
  billing = await billingInProcess(testRun(), undefined);
});
afterAll(() => billing?.close());

async function recorded(id: string): Promise<number> {
  const [row] = await billing.admin<{ count: number }[]>`
    select count(*)::int as count from stripe_events where id = ${id}`;
  return row?.count ?? 0;
}

describe("Stripe webhook timestamps", () => {
  it("refuses a signed event from too far in the future, as from too far in the past", async () => {
    // Offsets from a now read just before each signing, a few seconds past the 300 s tolerance:
    // `now + 301` from a rounded-down now read once was inside it as soon as billing's own clock
    // reached the next second (after the first case, one run in a hundred or so).
    for (const offset of [86_400, 305, -86_400]) {
      const timestamp = Math.floor(Date.now() / 1000) + offset;
      const payload = event();
      const answer = await billing.webhook(payload, await sign(payload, timestamp));
      expect(answer.status, `t=now${offset > 0 ? "+" : ""}${offset}`).toBe(400);
      expect(answer.json.code).toBe("invalid_signature");
      expect(await recorded(JSON.parse(payload).id)).toBe(0);
    }
  });

  it("accepts clocks a little apart, either way", async () => {
    for (const offset of [60, -60]) {
      const timestamp = Math.floor(Date.now() / 1000) + offset;
      const payload = event();
      const answer = await billing.webhook(payload, await sign(payload, timestamp));
      expect(answer.status).toBe(200);
    }
  });
});

describe("a signed event of the wrong shape", () => {
  it("is answered 400 naming the fields, and nothing is recorded", async () => {
    const cases: Array<[string, string]> = [
      [JSON.stringify({ type: "customer.updated", created: 1, data: { object: {} } }), "id"],
      [event({ id: "" }), "id"],
      [event({ id: 42 }), "id"],
      [event({ type: undefined }), "type"],
      [event({ data: "not an object" }), "data"],
      [event({ data: { object: null } }), "data.object"],
      [event({ created: "yesterday" }), "created"],
      [event({ id: "evt_\u0000nul" }), "id"],
      ["[]", "(event)"],
      ['"an event"', "(event)"],
      ["null", "(event)"],
    ];
    for (const [payload, path] of cases) {
      const answer = await billing.webhook(payload, await sign(payload));
      expect(answer.status, payload).toBe(400);
      expect(answer.json, payload).toMatchObject({ code: "bad_request" });
      expect(
        answer.json.errors.map((error: { path: string }) => error.path),
        payload,
      ).toContain(path);
    }
    const [row] = await billing.admin<{ count: number }[]>`
      select count(*)::int as count from stripe_events where id = '' or id like 'evt_%nul'`;
    expect(row?.count).toBe(0);
  });

  it("is answered 400 when its data holds a NUL, which jsonb cannot store", async () => {
    const payload = event({ data: { object: { id: "cus_x", name: "a\u0000b" } } });
    const answer = await billing.webhook(payload, await sign(payload));
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe("bad_request");
    expect(await recorded(JSON.parse(payload).id)).toBe(0);
  });
});
