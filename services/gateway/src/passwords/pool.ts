import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { PasswordAnswer, PasswordJob } from "./hash-worker.ts";

type Pending = {
  job: PasswordJob;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
};
type Thread = { worker: Worker; busy: Pending | undefined };

/**
 * Argon2 off libuv's threadpool, on worker threads of its own, one per core, each hashing one
 * password at a time. @node-rs/argon2's async functions queue on libuv's threadpool (4 threads,
 * first in first out), which is also where WebCrypto runs: with 200 signups at once every token
 * signature and verification (jose) waited behind every hash queued before it, so no signup
 * answered, and no tenant was created, until nearly all 200 hashes were done. Here a signup
 * waits only for the hashes ahead of its own, and the rest of the request is not queued at all.
 * More threads than cores would only interleave the hashes, each finishing later.
 */
export function startPasswordPool(size = availableParallelism()) {
  const threads: Thread[] = [];
  const queue: Pending[] = [];
  let nextId = 1;

  const spawn = (): Thread => {
    const worker = new Worker(new URL("./hash-worker.ts", import.meta.url));
    const thread: Thread = { worker, busy: undefined };
    // Idle threads must not keep a process alive (a CLI, a test); a busy one does, like any job.
    worker.unref();
    worker.on("message", (answer: PasswordAnswer) => {
      const done = thread.busy;
      thread.busy = undefined;
      worker.unref();
      if (done && answer.id === done.job.id) {
        if (answer.ok) done.resolve(answer.value);
        else done.reject(new Error(answer.error));
      }
      next(thread);
    });
    // A thread that died (out of memory) fails its job alone and is replaced.
    worker.on("error", (error) => {
      thread.busy?.reject(error);
      thread.busy = undefined;
    });
    worker.on("exit", () => {
      const index = threads.indexOf(thread);
      if (index < 0) return;
      threads.splice(index, 1);
      thread.busy?.reject(new Error("password thread exited"));
      if (queue.length > 0) next(spawnInto());
    });
    return thread;
  };
  const spawnInto = (): Thread => {
    const thread = spawn();
    threads.push(thread);
    return thread;
  };
  const next = (thread: Thread) => {
    const pending = queue.shift();
    if (!pending) return;
    thread.busy = pending;
    thread.worker.ref();
    thread.worker.postMessage(pending.job);
  };
  const run = (job: PasswordJob) =>
    new Promise<string | boolean>((resolve, reject) => {
      queue.push({ job, resolve, reject });
      const idle =
        threads.find((thread) => thread.busy === undefined) ??
        (threads.length < size ? spawnInto() : undefined);
      if (idle) next(idle);
    });

  return {
    hash: (password: string, options: Extract<PasswordJob, { op: "hash" }>["options"]) =>
      run({ id: nextId++, op: "hash", password, options }) as Promise<string>,
    verify: (hash: string, password: string) =>
      run({ id: nextId++, op: "verify", password, hash }) as Promise<boolean>,
  };
}
