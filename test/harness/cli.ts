import { execFile } from "node:child_process";
import { join } from "node:path";

const main = join(
  import.meta.dirname,
  "..",
  "..",
  "services",
  "provisioner",
  "src",
  "cli",
  "main.ts",
);

/** `pnpm oryn <args>` as its own process: exit code, stdout and stderr. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 120_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
