import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { BenchStack } from "./bench-stack.ts";
import type { Settings } from "./settings.ts";
import { round } from "./stats.ts";

const root = join(import.meta.dirname, "..", "..");

/** The machine and the versions of everything measured, for the report. */
export async function environment(stack: BenchStack) {
  const [pg] = await stack.controlPlane<{ version: string }[]>`select version()`;
  const redis = new Redis(stack.redisUrl);
  const info = await redis.info("server").finally(() => redis.disconnect());
  const autocannon = JSON.parse(
    readFileSync(join(root, "node_modules", "autocannon", "package.json"), "utf8"),
  ) as { version: string };
  return {
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? "unknown",
      ramGiB: round(totalmem() / 2 ** 30, 1),
      kernel: release(),
    },
    versions: {
      node: process.version,
      postgres: pg?.version.split(" on ")[0] ?? "unknown",
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown",
      // nginx -v prints to stderr.
      nginx: existsSync("/usr/sbin/nginx")
        ? spawnSync("/usr/sbin/nginx", ["-v"], { encoding: "utf8" }).stderr.trim()
        : "not installed",
      autocannon: autocannon.version,
    },
  };
}

/** Writes bench/results/<date>[-only-…].json; returns its path. */
export function writeResultsFile(
  report: Record<string, unknown>,
  settings: Settings,
  full: boolean,
) {
  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const file = join(dir, `${date}${full ? "" : `-only-${settings.only.join("-")}`}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
