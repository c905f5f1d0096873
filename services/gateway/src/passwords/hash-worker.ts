import { hashSync, type Options, verifySync } from "@node-rs/argon2";

/** One job of the password pool (see pool.ts): hash a password, or verify one against a hash. */
export type PasswordJob =
  | { op: "hash"; password: string; options: Options }
  | { op: "verify"; password: string; hash: string };

// Synchronous on purpose: this thread exists to be busy with one hash at a time, off libuv's
// threadpool (which the event loop's own crypto needs; see pool.ts).
export default function run(job: PasswordJob): string | boolean {
  return job.op === "hash"
    ? hashSync(job.password, job.options)
    : verifySync(job.hash, job.password);
}
