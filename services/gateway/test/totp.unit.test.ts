import { randomBytes } from "node:crypto";
import { createLogger } from "@oryn/shared";
import { Secret, TOTP } from "otpauth";
import { describe, expect, it } from "vitest";
import {
  hashRecoveryCode,
  loadMfaSettings,
  newRecoveryCodes,
  newTotpSecret,
  stepOfCode,
} from "../src/mfa/totp.ts";

const settings = (key = randomBytes(32).toString("base64url")) =>
  loadMfaSettings({
    logger: createLogger("totp-unit", "silent"),
    value: key,
    nodeEnv: "test",
    secretsDir: "/nonexistent",
    issuer: "Oryn",
  });

describe("sealed TOTP secrets", () => {
  it("open for their own person under their own key, and for nobody else", () => {
    const key = randomBytes(32).toString("base64url");
    const mfa = settings(key);
    const secret = newTotpSecret();
    const sealed = mfa.seal(secret, "user-a");
    expect(sealed.toString("latin1")).not.toContain(secret);
    expect(mfa.open(sealed, "user-a")).toBe(secret);
    expect(mfa.open(sealed, "user-b")).toBeNull();
    expect(settings().open(sealed, "user-a")).toBeNull();
    // Two seals of one secret differ (a fresh IV each time).
    expect(mfa.seal(secret, "user-a").equals(sealed)).toBe(false);
  });

  it("refuse a key that is not 32 bytes", () => {
    expect(() => settings("too-short")).toThrow(/MFA_ENCRYPTION_KEY: must be 32 bytes/);
  });
});

describe("TOTP codes", () => {
  it("are good for their step and one step either side, and name the step they are for", () => {
    const now = 1_800_000_000_000;
    const step = Math.floor(now / 30_000);
    const codeOf = (secret: string, offset: number) =>
      TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now + offset * 30_000 });
    // A secret whose five codes differ: two steps share a code about once in 100,000 secrets,
    // and then a step two away would pass as the one it shares with.
    let secret = newTotpSecret();
    while (new Set([-2, -1, 0, 1, 2].map((offset) => codeOf(secret, offset))).size < 5)
      secret = newTotpSecret();
    const codeAt = (offset: number) => codeOf(secret, offset);
    expect(stepOfCode(secret, codeAt(0), now)).toBe(step);
    expect(stepOfCode(secret, codeAt(-1), now)).toBe(step - 1);
    expect(stepOfCode(secret, codeAt(1), now)).toBe(step + 1);
    expect(stepOfCode(secret, codeAt(-2), now)).toBeNull();
    expect(stepOfCode(secret, codeAt(2), now)).toBeNull();
  });
});

describe("recovery codes", () => {
  it("are ten distinct codes of 60 random bits, hashed the same however they are typed", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
    const [code = ""] = codes;
    const typed = ` ${code.toUpperCase().replaceAll("-", " ")} `;
    expect(hashRecoveryCode(typed).equals(hashRecoveryCode(code))).toBe(true);
    expect(hashRecoveryCode(codes[1] ?? "").equals(hashRecoveryCode(code))).toBe(false);
  });
});
