import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { round } from "./stats.ts";

/**
 * argon2id hashes per second on this machine with the production parameters, on all cores: one
 * worker thread per core, each hashing one password after another (argon2-worker.ts). The
 * signups target (issue 17) divides tenants active per second by this, so a signup burst is
 * judged against what the machine's cores can hash, not against a figure from another machine.
 */
export async function argon2idRate(
  seconds: number,
): Promise<{ threads: number; seconds: number; hashes: number; hashesPerSecond: number }> {
  const threads = availableParallelism();
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL("./argon2-worker.ts", import.meta.url)),
  );
  try {
    // Every worker loaded (and its module's decoy hash done) before any starts counting.
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once("error", reject);
            worker.once("message", () => resolve());
          }),
      ),
    );
    const finished = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<{ hashes: number; ms: number }>((resolve, reject) => {
            worker.once("error", reject);
            worker.once("message", resolve);
            worker.postMessage({ seconds });
          }),
      ),
    );
    const hashes = finished.reduce((sum, one) => sum + one.hashes, 0);
    // Each worker's own rate (its last hash may end after the window), summed.
    const perSecond = finished.reduce((sum, one) => sum + one.hashes / (one.ms / 1000), 0);
    return { threads, seconds, hashes, hashesPerSecond: round(perSecond, 1) };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
