import { availableParallelism } from "node:os";
import { hashPassword } from "../../services/gateway/src/passwords/passwords.ts";
import { round } from "./stats.ts";

/**
 * argon2id hashes per second on this machine with the gateway's own hashPassword (its production
 * parameters, on its thread pool of one thread per core): one hash after another from as many
 * loops as there are cores, for `seconds`. The signups target (issue 17) divides tenants active
 * per second by this, so a signup burst is judged against what the machine's cores can hash.
 */
export async function argon2idRate(
  seconds: number,
): Promise<{ threads: number; seconds: number; hashes: number; hashesPerSecond: number }> {
  const threads = availableParallelism();
  // The pool's threads started (and the module's decoy hash done) before counting.
  await Promise.all(Array.from({ length: threads }, () => hashPassword("warm up")));
  const started = performance.now();
  const until = started + seconds * 1000;
  let hashes = 0;
  await Promise.all(
    Array.from({ length: threads }, async () => {
      while (performance.now() < until) {
        await hashPassword(`bench password ${hashes}`);
        hashes++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { threads, seconds, hashes, hashesPerSecond: round(hashes / elapsed, 1) };
}
