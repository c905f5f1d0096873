import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, type Placement } from "./processes.ts";

const run = promisify(execFile);
/**
 * The server binaries of the machine's PostgreSQL (Debian keeps them out of PATH, one folder per
 * major version): ORYN_PG_BIN when set, else the newest version installed.
 */
const bin =
  process.env.ORYN_PG_BIN ??
  `/usr/lib/postgresql/${
    readdirSync("/usr/lib/postgresql")
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))[0] ?? "15"
  }/bin`;

/** A PostgreSQL server of our own, on its own port, gone again after `remove()`. */
export type ThrowawayPostgres = {
  port: number;
  /** Admin URL to its `postgres` database (user `postgres`, with its password if it has one). */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its data directory. */
  remove(): Promise<void>;
};

/** Runs a PostgreSQL binary as the `postgres` user: initdb and pg_ctl refuse to run as root. */
async function asPostgres(command: string): Promise<void> {
  if (process.getuid?.() === 0) {
    await run("su", ["postgres", "-s", "/bin/bash", "-c", command]);
  } else {
    await run("/bin/bash", ["-c", command]);
  }
}

/**
 * initdb + pg_ctl on a free port with fsync off: a throwaway server for tests and benchmarks,
 * never for data anyone wants back. Data and socket live in one temporary directory.
 * `durable` keeps fsync and full-page writes on, as a production server has them (benchmarks
 * whose figures should mean something); `placement` pins the server's processes to CPUs.
 */
export async function startThrowawayPostgres(
  options: {
    label?: string;
    durable?: boolean;
    placement?: Placement;
    /**
     * Check passwords over TCP (scram-sha-256), as a production server does; the machine's
     * servers trust every local login, so only such a server tests that roles really log in.
     */
    checkPasswords?: boolean;
    /** PostgreSQL's max_connections (default 300). */
    maxConnections?: number;
    /** More server settings (`-c name=value`), e.g. what docs/operations.md advises a server. */
    settings?: Record<string, string>;
  } = {},
): Promise<ThrowawayPostgres> {
  const dir = mkdtempSync(join(tmpdir(), `oryn-pg-${options.label ?? "test"}-`));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    // Not synchronous_commit=off: an immediate stop would then lose the last commits, and tests
    // stop servers to check that a tenant's data is there when its server returns.
    ...(options.durable ? [] : ["-c fsync=off", "-c full_page_writes=off"]),
    `-c max_connections=${options.maxConnections ?? 300}`,
    ...Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${name}=${value}`),
  ].join(" ");
  // The postmaster and every backend it forks inherit the affinity pg_ctl starts with.
  const pinned = options.placement?.cpus ? `taskset -c ${options.placement.cpus} ` : "";
  if (process.getuid?.() === 0) await run("chown", ["postgres", dir]);
  const password = randomBytes(18).toString("base64url");
  let auth = "--auth=trust";
  if (options.checkPasswords) {
    const passwordFile = join(dir, "superuser-password");
    writeFileSync(passwordFile, password, { mode: 0o644 });
    auth = `--auth-local=trust --auth-host=scram-sha-256 --pwfile=${passwordFile}`;
  }
  await asPostgres(`${bin}/initdb -D ${data} -U postgres ${auth} -E UTF8 --no-sync >/dev/null`);
  const credentials = options.checkPasswords ? `postgres:${password}` : "postgres";
  const server: ThrowawayPostgres = {
    port,
    url: `postgres://${credentials}@127.0.0.1:${port}/postgres`,
    start: () =>
      asPostgres(
        `${pinned}${bin}/pg_ctl -D ${data} -o "${settings}" -w -l ${dir}/log start >/dev/null`,
      ),
    // Immediate: tests stop it to see what clients do when a server vanishes, not to shut down.
    stop: () => asPostgres(`${bin}/pg_ctl -D ${data} -m immediate -w stop >/dev/null`),
    async remove() {
      await server.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return server;
}
