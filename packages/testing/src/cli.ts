import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Placement, placed } from "./processes.ts";

/** `pnpm oryn`'s entry point, found as any package's export rather than by a relative path. */
const main = fileURLToPath(import.meta.resolve("@oryn/provisioner/cli"));
/** The same with another tenant migration history (the test entry point beside this file). */
const withMigrations = fileURLToPath(new URL("./cli-with-migrations.ts", import.meta.url));

/**
 * `pnpm oryn <args>` as its own process: exit code, stdout and stderr. The bench pins it to its
 * servers' CPUs and gives a fleet migration of 1,000 databases longer than a test's two minutes;
 * `tenantMigrations` makes it apply that directory's history instead of Oryn's.
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { placement?: Placement; timeoutMs?: number; tenantMigrations?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { command, args: commandArgs } = placed(
    process.execPath,
    options.tenantMigrations
      ? [withMigrations, options.tenantMigrations, ...args]
      : [main, ...args],
    options.placement,
  );
  return new Promise((resolve) => {
    execFile(
      command,
      commandArgs,
      {
        env: { PATH: process.env.PATH ?? "", ...env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
