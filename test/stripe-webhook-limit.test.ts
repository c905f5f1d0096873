import { serviceEnv, testRun } from "@oryn/testing/context";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const secret = "whsec_webhook_limit_test_0123456789";
const signer = new Stripe("sk_test_signer_only");

describe("POST /webhooks/stripe through the gateway", () => {
  let oryn: Oryn;
  beforeAll(async () => {
    const run = testRun();
    // A Redis prefix of its own: refusals are counted per IP, and every test's gateway is on
    // 127.0.0.1.
    oryn = await startOryn(
      {
        ...serviceEnv(run),
        REDIS_PREFIX: `${run.redisPrefix}-webhook-${crypto.randomUUID().slice(0, 8)}`,
      },
      {
        gateway: { WEBHOOK_REFUSALS_PER_IP_PER_MINUTE: "3" },
        billing: { STRIPE_WEBHOOK_SECRET: secret },
      },
    );
  }, 60_000);
  afterAll(() => oryn?.stop());

  const deliver = async (signature: string, payload: string) => {
    const answer = await fetch(`${oryn.gatewayUrl}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": signature },
      body: payload,
    });
    return { status: answer.status, headers: answer.headers, json: await answer.json() };
  };
  const event = () =>
    JSON.stringify({
      id: `evt_limit_${crypto.randomUUID().replaceAll("-", "")}`,
      object: "event",
      type: "customer.updated",
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: "cus_limit", object: "customer" } },
    });
  const signed = async (payload: string) =>
    deliver(await signer.webhooks.generateTestHeaderStringAsync({ payload, secret }), payload);

  it("refuses an IP with 429 and Retry-After once its refused deliveries pass the limit", async () => {
    // Verified deliveries do not count.
    for (let i = 0; i < 4; i++) expect((await signed(event())).status).toBe(200);
    const forged = `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}`;
    for (let i = 0; i < 3; i++) {
      const answer = await deliver(forged, event());
      expect(answer.status).toBe(400);
      expect(answer.json.code).toBe("invalid_signature");
    }
    const refused = await deliver(forged, event());
    expect(refused.status).toBe(429);
    expect(refused.json.code).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Until the window ends the address is refused before billing is asked at all.
    expect((await signed(event())).status).toBe(429);
  });
});
