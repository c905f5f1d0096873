import { testRun } from "@oryn/testing/context";
import { queuedMail } from "@oryn/testing/queued-mail";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

const gateway = await gatewayInProcess();
afterAll(() => gateway.close());

describe("mail from the account flows", () => {
  it("carries a name with control characters as one clean line, or none, and never fails the request", async () => {
    for (const [name, expected] of [
      ["\u0001Ada\u0007 Lovelace", "Ada Lovelace"],
      ["\u0001", undefined],
    ] as const) {
      const body = uniqueSignup();
      body.owner.name = name;
      const answer = await gateway.call("POST", "/v1/signup", { body });
      expect(answer.status, JSON.stringify(answer.json)).toBe(202);
      expect(answer.json.user.name).toBe(name);
      const mail = await queuedMail(testRun(), { template: "verify-email", to: body.owner.email });
      expect(mail.data.name).toBe(expected);
      expect(mail.data.token).toMatch(/^oev_/);
    }
  });
});
