import { spawn } from "node:child_process";
import { once } from "node:events";
import { withDatabase } from "@oryn/shared";

/**
 * `pg_dump --format=custom` of one database piped into `pg_restore` on another server, in one
 * transaction there (a failed restore leaves nothing half-made). Objects keep their owner (the
 * platform's admin role, the same on every server) and their grants (to `oryn_tenant` and the
 * tenant's role, which the caller creates first). The password travels in PGPASSWORD, never on a
 * command line.
 */
export async function copyDatabase(options: {
  sourceUrl: string;
  targetUrl: string;
  database: string;
  binDir?: string | undefined;
}): Promise<void> {
  const tool = (name: string) => (options.binDir ? `${options.binDir}/${name}` : name);
  const dump = spawn(
    tool("pg_dump"),
    ["--format=custom", `--dbname=${withoutPassword(options.sourceUrl, options.database)}`],
    { env: envFor(options.sourceUrl), stdio: ["ignore", "pipe", "pipe"] },
  );
  const restore = spawn(
    tool("pg_restore"),
    [
      "--single-transaction",
      "--exit-on-error",
      `--dbname=${withoutPassword(options.targetUrl, options.database)}`,
    ],
    { env: envFor(options.targetUrl), stdio: ["pipe", "ignore", "pipe"] },
  );
  dump.stdout.pipe(restore.stdin);
  const errors = { dump: "", restore: "" };
  dump.stderr.on("data", (chunk) => {
    errors.dump += chunk;
  });
  restore.stderr.on("data", (chunk) => {
    errors.restore += chunk;
  });
  const [[dumpCode], [restoreCode]] = await Promise.all([
    once(dump, "close"),
    once(restore, "close"),
  ]);
  if (dumpCode !== 0) throw new Error(`pg_dump failed (${dumpCode}): ${errors.dump.trim()}`);
  if (restoreCode !== 0)
    throw new Error(`pg_restore failed (${restoreCode}): ${errors.restore.trim()}`);
}

function withoutPassword(url: string, database: string): string {
  const parsed = new URL(withDatabase(url, database));
  parsed.password = "";
  return parsed.toString();
}

function envFor(url: string): NodeJS.ProcessEnv {
  const password = decodeURIComponent(new URL(url).password);
  return { PATH: process.env.PATH ?? "", ...(password ? { PGPASSWORD: password } : {}) };
}
