import { serviceEnv, testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { eventually, signUpAndWait } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = testRun();

describe("a restarting upstream", () => {
  let oryn: Oryn;
  beforeAll(async () => {
    // The client below sends as fast as it can; the plan's rate is not what is tested here.
    oryn = await startOryn(serviceEnv(run), {
      gateway: { RATE_LIMIT_TENANT_PER_MINUTE: "1000000" },
    });
  }, 60_000);
  afterAll(async () => {
    await oryn?.stop();
  });

  it("never leaves a client hanging: while workspace is killed and restarted, each request answers quickly", async () => {
    const call = jsonCaller((path, init) =>
      fetch(`${oryn.gatewayUrl}${path}`, { ...init, signal: AbortSignal.timeout(5_000) }),
    );
    const { token } = await signUpAndWait(call);

    // Workspace serves this tenant before anything is killed. (Twice in full-suite runs on a
    // loaded machine the very first proxied request got a 502 here; its cause is not found yet,
    // and this test is about the restart, so it starts from a served request.)
    await eventually(
      () => call("GET", "/v1/projects", { token }),
      (answer) => answer.status === 200,
      { timeoutMs: 10_000 },
    );
    const statuses: number[] = [];
    let firstAnswer: unknown;
    let stop = false;
    // A client sending one request after another; an abort after 5 s (a hang) fails the test.
    const client = (async () => {
      while (!stop) {
        const answer = await call("GET", "/v1/projects", { token });
        statuses.push(answer.status);
        firstAnswer ??= answer.json;
        if (answer.status !== 200) {
          expect(answer.json.code).toMatch(/^upstream_(unavailable|timeout)$/);
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await oryn.kill("workspace");
    await new Promise((resolve) => setTimeout(resolve, 500));
    await oryn.revive("workspace");
    const recovered = Date.now() + 10_000;
    while (statuses.at(-1) !== 200 || statuses.filter((s) => s !== 200).length === 0) {
      if (Date.now() > recovered) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stop = true;
    await client;
    // Served, then refused cleanly while it was down, then served again.
    expect(
      statuses[0],
      `${JSON.stringify(firstAnswer)}\n${oryn.services.gateway.output().slice(-3000)}`,
    ).toBe(200);
    expect(statuses.some((status) => status === 502 || status === 503)).toBe(true);
    // Served again once it was back (a request racing the restart may still get a 502).
    const firstFailure = statuses.findIndex((status) => status !== 200);
    expect(statuses.slice(firstFailure), JSON.stringify(statuses)).toContain(200);
    await eventually(
      () => call("GET", "/v1/projects", { token }),
      (answer) => answer.status === 200,
      { timeoutMs: 5_000 },
    );
    expect(new Set(statuses.filter((status) => status !== 200))).toSatisfy((set: Set<number>) =>
      [...set].every((status) => status === 502 || status === 503),
    );
  }, 90_000);
});
