/**
 * One core's argon2id rate: hashes one password after another with the gateway's own function
 * (its production parameters) from the main thread's "go" for `seconds`, and answers how many it
 * finished and how long that took. Started by argon2-rate.ts, one per core.
 */
import { parentPort } from "node:worker_threads";
import { hashPassword } from "../../services/gateway/src/passwords/passwords.ts";

if (!parentPort) throw new Error("argon2-worker.ts runs as a worker thread");
const port = parentPort;
port.on("message", async ({ seconds }: { seconds: number }) => {
  const started = performance.now();
  const until = started + seconds * 1000;
  let hashes = 0;
  while (performance.now() < until) {
    await hashPassword(`bench password ${hashes}`);
    hashes++;
  }
  port.postMessage({ hashes, ms: performance.now() - started });
});
// The module's own start (its thread pool, its decoy hash) done before the main thread counts.
await hashPassword("warm up");
port.postMessage("ready");
