import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createTokenVerifier } from "@oryn/shared";
import { decodeProtectedHeader } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { generateSigningKeySet, keyRotation, loadSigningKeys } from "../src/tokens/signing-keys.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "oryn-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (value: string) =>
  loadSigningKeys({
    value,
    nodeEnv: "test",
    secretsDir: dir,
    issuer: "oryn",
    audience: "oryn-api",
    ttlSeconds: 600,
  });
const claims = {
  userId: crypto.randomUUID(),
  tenantId: crypto.randomUUID(),
  role: "owner" as const,
  tokenId: "t",
  kind: "user" as const,
  membershipVersion: 1,
};

describe("signing-key rotation", () => {
  it("publishes several keys: a new key signs, tokens of the old one still verify until retired", async () => {
    const original = generateSigningKeySet();
    const before = await load(original);
    const oldToken = await before.sign(claims);

    const rotated = keyRotation.rotate(original);
    const after = await load(rotated.set);
    expect(after.jwks.keys.map((key) => key.kid)).toEqual([rotated.kid, before.signingKid]);
    const newToken = await after.sign(claims);
    expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid);
    const verify = createTokenVerifier({
      keys: after.verificationKeys,
      issuer: "oryn",
      audience: "oryn-api",
    });
    expect((await verify(oldToken)).userId).toBe(claims.userId);
    expect((await verify(newToken)).userId).toBe(claims.userId);

    // Retired: the old key's tokens are refused, the new key's still accepted.
    const retired = await load(keyRotation.retire(rotated.set, before.signingKid));
    const strict = createTokenVerifier({
      keys: retired.verificationKeys,
      issuer: "oryn",
      audience: "oryn-api",
    });
    await expect(strict(oldToken)).rejects.toMatchObject({ code: "unauthorized" });
    expect((await strict(newToken)).userId).toBe(claims.userId);
  });

  it("adds a key without letting it sign until promoted, and never retires the signing key", async () => {
    const original = generateSigningKeySet();
    const signing = (await load(original)).signingKid;
    const added = keyRotation.add(original);
    expect((await load(added.set)).signingKid).toBe(signing);
    expect(keyRotation.list(added.set)).toEqual([
      { kid: signing, signs: true },
      { kid: added.kid, signs: false },
    ]);
    expect(() => keyRotation.retire(added.set, signing)).toThrow(/promote another first/);
    expect(() => keyRotation.promote(added.set, "nope")).toThrow(/no key nope/);
    expect((await load(keyRotation.promote(added.set, added.kid))).signingKid).toBe(added.kid);
  });

  it("`pnpm keys` edits the key file in place and never prints private keys without being asked", async () => {
    const file = join(dir, "keys.json");
    writeFileSync(file, generateSigningKeySet());
    const cli = (...args: string[]) =>
      run(process.execPath, ["services/gateway/src/tokens/keys-cli.ts", ...args, "--file", file], {
        cwd: root,
      });
    const rotated = await cli("rotate", "--write");
    expect(rotated.stdout).toBe("");
    expect(rotated.stderr).toMatch(/signs now/);
    const listed = await cli("list");
    const lines = listed.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/\(signs\)$/);
    expect(JSON.parse(readFileSync(file, "utf8")).keys).toHaveLength(2);
    await expect(cli("retire")).rejects.toMatchObject({ stderr: expect.stringMatching(/usage/) });
  });
});
