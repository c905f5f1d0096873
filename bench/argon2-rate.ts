/**
 * `node bench/argon2-rate.ts [hashes]`: argon2id hashes per second on this machine with the
 * gateway's production parameters and its own hashPassword, on all cores (every hash asked for
 * at once; the gateway decides how many run side by side). The yardstick of the provisioning target: tenants active per second
 * ÷ this rate. Run it beside `pnpm bench --only provisioning`, on the same machine state.
 */
import { availableParallelism } from "node:os";
import { hashPassword } from "../services/gateway/src/passwords/passwords.ts";

const total = Number(process.argv[2] ?? 200);
// Warm-up: the first hash allocates the pools.
await Promise.all(Array.from({ length: availableParallelism() }, () => hashPassword("warm up")));
const started = performance.now();
await Promise.all(Array.from({ length: total }, (_, i) => hashPassword(`bench password ${i}`)));
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    hashes: total,
    seconds: Math.round(seconds * 1000) / 1000,
    hashesPerSecond: Math.round((total / seconds) * 10) / 10,
    cores: availableParallelism(),
  }),
);
