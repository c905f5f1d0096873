import { availableParallelism } from "node:os";
import type { Options } from "@node-rs/argon2";
import { Piscina } from "piscina";
import type { PasswordJob } from "./hash-worker.ts";

/**
 * Argon2 off libuv's threadpool, on worker threads of its own (Piscina's), one per core, each
 * hashing one password at a time. @node-rs/argon2's async functions queue on libuv's threadpool
 * (4 threads, first in first out), which is also where WebCrypto runs: with 200 signups at once
 * every token signature and verification (jose) waited behind every hash queued before it, so no
 * signup answered, and no tenant was created, until nearly all 200 hashes were done. Here a signup
 * waits only for the hashes ahead of its own, and the rest of the request is not queued at all.
 * More threads than cores would only interleave the hashes, each finishing later.
 */
export function startPasswordPool(size = availableParallelism()) {
  const pool = new Piscina<PasswordJob, string | boolean>({
    filename: new URL("./hash-worker.ts", import.meta.url).href,
    minThreads: 0,
    // One hash per thread at a time (Piscina's default): a queued job waits for a free thread.
    maxThreads: size,
    // Threads end after a minute idle, so a CLI or a test that hashed once can exit.
    idleTimeout: 60_000,
  });
  return {
    hash: (password: string, options: Options) =>
      pool.run({ op: "hash", password, options }) as Promise<string>,
    verify: (hash: string, password: string) =>
      pool.run({ op: "verify", password, hash }) as Promise<boolean>,
    close: () => pool.close(),
  };
}
