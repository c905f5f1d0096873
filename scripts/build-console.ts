// `pnpm build:console`: builds apps/console into apps/console/dist, which the gateway serves at
// `/`, unless the build there was made from the same sources. `pnpm start` and the console's
// browser test run it first, so a fresh clone or a pull needs no separate step, and an
// unchanged console costs a hash of its sources (milliseconds) rather than a build (seconds).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const app = join(root, "apps", "console");
export const consoleDist = join(app, "dist");
const stamp = ".source-hash";

// What the build is made from: the app and the typed client it bundles.
const sources = [
  join(app, "src"),
  join(app, "public"),
  join(app, "index.html"),
  join(app, "vite.config.ts"),
  join(app, "package.json"),
  join(root, "packages", "client", "src"),
  join(root, "pnpm-lock.yaml"),
];

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  try {
    return readdirSync(path, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [path];
  }
}

export function consoleSourceHash(): string {
  const hash = createHash("sha256");
  for (const file of sources.flatMap(files).sort()) {
    hash.update(relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

/** Builds the console when dist/ is missing or was built from other sources; says which. */
export function buildConsole(options: { force?: boolean } = {}): "built" | "up to date" {
  const upToDate = () =>
    existsSync(join(consoleDist, stamp)) &&
    readFileSync(join(consoleDist, stamp), "utf8") === consoleSourceHash();
  if (!options.force && upToDate()) return "up to date";
  // One build at a time: Vite refuses a second build of the same project while one runs (two
  // browser test files start together), and the second would only repeat the first. So the
  // second waits for the lock and then finds the build up to date.
  return whileLocked(() => (!options.force && upToDate() ? "up to date" : build()));
}

function build(): "built" {
  const hash = consoleSourceHash();
  // Built beside dist/ and swapped in, so a gateway serving the old build never reads a
  // half-written folder.
  const next = `${consoleDist}.${process.pid}`;
  const vite = join(app, "node_modules", "vite", "bin", "vite.js");
  const result = spawnSync(
    process.execPath,
    [vite, "build", "--outDir", next, "--emptyOutDir", "--logLevel", "warn"],
    { cwd: app, stdio: "inherit" },
  );
  if (result.status !== 0) {
    rmSync(next, { recursive: true, force: true });
    throw new Error(`the console's build failed (vite exited with ${result.status})`);
  }
  writeFileSync(join(next, stamp), hash);
  rmSync(consoleDist, { recursive: true, force: true });
  renameSync(next, consoleDist);
  return "built";
}

/** A build takes seconds; a lock older than this was left by a build that was killed. */
const staleLockMs = 5 * 60_000;

/** `work` under a lock (a directory: mkdir is atomic) shared by every process of this checkout. */
function whileLocked<T>(work: () => T): T {
  const lock = join(app, "node_modules", ".build-console.lock");
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > staleLockMs) rmSync(lock, { recursive: true, force: true });
    else Atomics.wait(pause, 0, 0, 200);
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const outcome = buildConsole({ force: process.argv.includes("--force") });
  console.log(`console: ${outcome} (${relative(root, consoleDist)})`);
}
