import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/**
 * The iteration count of tenant roles' verifiers. Iterations slow down guessing a password from
 * its verifier or from a recorded exchange, which matters for passwords people choose; a tenant
 * role's password is an HMAC-SHA-256 output (256 bits), which no count makes more or less
 * guessable. The count is paid by the client, synchronously in postgres.js, on every new tenant
 * connection: 4096 (PostgreSQL's default) cost 1.4-2 ms of workspace's event loop each time.
 */
export const tenantRoleScramIterations = 64;

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's stored form (RFC 5802/7677):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. Handing CREATE/ALTER ROLE this
 * instead of the password keeps the password out of server logs and pg_stat_activity.
 * The passwords we derive are ASCII, for which SASLprep changes nothing.
 */
export function scramSha256Verifier(
  password: string,
  options: { salt?: Buffer; iterations?: number } = {},
): string {
  const salt = options.salt ?? randomBytes(16);
  const iterations = options.iterations ?? 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
