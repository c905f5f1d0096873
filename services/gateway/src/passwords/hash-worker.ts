import { parentPort } from "node:worker_threads";
import { hashSync, type Options, verifySync } from "@node-rs/argon2";

/** One job of the password pool (see pool.ts): hash a password, or verify one against a hash. */
export type PasswordJob =
  | { id: number; op: "hash"; password: string; options: Options }
  | { id: number; op: "verify"; password: string; hash: string };
export type PasswordAnswer =
  | { id: number; ok: true; value: string | boolean }
  | { id: number; ok: false; error: string };

// Synchronous on purpose: this thread exists to be busy with one hash at a time, off libuv's
// threadpool (which the event loop's own crypto needs; see pool.ts).
parentPort?.on("message", (job: PasswordJob) => {
  let answer: PasswordAnswer;
  try {
    const value =
      job.op === "hash" ? hashSync(job.password, job.options) : verifySync(job.hash, job.password);
    answer = { id: job.id, ok: true, value };
  } catch (error) {
    answer = {
      id: job.id,
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  parentPort?.postMessage(answer);
});
