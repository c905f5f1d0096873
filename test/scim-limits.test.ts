import { describe, expect, test } from "@oryn/testing";
import { serviceEnv } from "@oryn/testing/context";

// The SCIM API's own limits, small enough to reach: per token, and refusals per client address.
const it = test.override("stackEnv", { scope: "file" }, ({ run }) => ({
  ...serviceEnv(run),
  SCIM_RATE_LIMIT_PER_MINUTE: "5",
}));

describe("SCIM limits", () => {
  it("limits each token on its own, and refused credentials per address, with SCIM 429s", async ({
    stack,
    gateway,
    signedUp,
  }) => {
    const newToken = async () =>
      (await gateway("POST", "/v1/scim/tokens", { token: signedUp.token, body: {} })).json
        .token as string;
    const [first, second] = [await newToken(), await newToken()];
    const get = (token: string) =>
      fetch(`${stack.gatewayUrl}/scim/v2/Users`, {
        headers: { authorization: `Bearer ${token}` },
      });
    for (let i = 0; i < 5; i++) expect((await get(first)).status).toBe(200);
    const limited = await get(first);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(await limited.json()).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: "429",
    });
    // Another token of the same tenant has its own budget.
    expect((await get(second)).status).toBe(200);

    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(`oryn_scim_wrong${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // A good token from the same address is still served.
    expect((await get(second)).status).toBe(200);
  });
});
