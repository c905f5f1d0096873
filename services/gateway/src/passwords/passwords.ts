import { startPasswordPool } from "./pool.ts";

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane. `algorithm: 2` is Algorithm.Argon2id,
// a const enum that erasable-syntax TypeScript cannot import.
const options = { algorithm: 2 as const, memoryCost: 19456, timeCost: 2, parallelism: 1 };

// On threads of their own, not libuv's threadpool: see pool.ts.
const pool = startPasswordPool();

export function hashPassword(password: string): Promise<string> {
  return pool.hash(password, options);
}

// Verified against when the email is unknown, so that answer takes as long as a wrong password.
const decoyHash = pool.hash("decoy password that matches nothing", options);

export async function verifyPassword(
  passwordHash: string | null | undefined,
  password: string,
): Promise<boolean> {
  // No account, or an account made by single sign-on that never set a password.
  if (passwordHash === undefined || passwordHash === null) {
    await pool.verify(await decoyHash, password);
    return false;
  }
  return pool.verify(passwordHash, password);
}
