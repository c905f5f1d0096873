import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../src/passwords/passwords.ts";
import { startPasswordPool } from "../src/passwords/pool.ts";

// Hashes take a while on a busy machine: the default 5 s is not about speed here.
describe("password hashing on threads of its own", { timeout: 60_000 }, () => {
  it("hashes and verifies, and an unknown account verifies against the decoy", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, "correct horse")).toBe(true);
    expect(await verifyPassword(hash, "wrong horse")).toBe(false);
    expect(await verifyPassword(null, "correct horse")).toBe(false);
  });

  it("does not hold WebCrypto (token signatures) behind the hashes queued before it", async () => {
    // libuv's threadpool is first in first out: with the hashes there, a signature asked for
    // after 16 of them finished after at least 12 (4 threads). Here it finishes before most.
    const keys = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, [
      "sign",
    ])) as CryptoKeyPair;
    let finished = 0;
    const hashes = Array.from({ length: 16 }, (_, i) =>
      hashPassword(`queued ${i}`).then(() => finished++),
    );
    await crypto.subtle.sign("Ed25519", keys.privateKey, new Uint8Array(8));
    const finishedBeforeSignature = finished;
    await Promise.all(hashes);
    expect(finishedBeforeSignature).toBeLessThan(8);
  });

  it("fails the one job that fails, and goes on with the others", async () => {
    const pool = startPasswordPool(1);
    const bad = pool.verify("not an argon2 hash", "x");
    const good = pool.hash("after the failure", { algorithm: 2, memoryCost: 1024, timeCost: 1 });
    await expect(bad).rejects.toThrow();
    expect(await good).toMatch(/^\$argon2id\$/);
    await pool.close();
  });
});
