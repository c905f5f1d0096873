import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { testRun } from "@oryn/testing/context";
import { canListen } from "@oryn/testing/processes";
import { within } from "@oryn/testing/wait";
import { afterAll, describe, expect, it } from "vitest";
import { defaultsOf, servicePrograms } from "../scripts/configuration-docs.ts";

/**
 * The README's two commands as a newcomer runs them: in a fresh clone of this commit (what is
 * committed, not the working tree), with a PATH that holds only the machine's Node and npm (on
 * this kind of machine Node 20 and no pnpm), and nothing else in the environment but where to
 * put things. `npm start` must get Node 24 and pnpm (scripts/toolchain.sh), install, migrate and
 * serve; the README's walk-through must run against it as written; Ctrl-C must stop every
 * process gracefully; and `npm test` must reach vitest the same way.
 *
 * `npm start` serves on the services' default ports (8080, 8081, …), so it listens on a loopback
 * address of its own (127.x.y.z), every service and the addresses they find each other by, and
 * cannot meet an Oryn already running on 127.0.0.1; its databases and Redis keys are named after
 * this run's, so the run's cleanup removes them. Ports, addresses and service names are read from
 * the settings schemas and package.json, so a new service is covered as soon as `npm start` runs it.
 */
const root = join(import.meta.dirname, "..");
// The machine's own tools; `ORYN_BARE_PATH` for a machine that keeps its Node elsewhere.
const barePath = process.env.ORYN_BARE_PATH ?? "/usr/bin:/bin";
// The services' defaults: their ports, and the addresses by which they find each other.
const serviceDefaults = (await servicePrograms()).map((program) => defaultsOf(program.schema));
const readmePorts = [
  ...new Set(
    serviceDefaults.flatMap((defaults) =>
      Object.entries(defaults)
        .filter(([name, value]) => /(^|_)PORT$/.test(name) && typeof value === "number")
        .map(([, value]) => value as number),
    ),
  ),
];
const localAddresses = Object.fromEntries(
  serviceDefaults.flatMap((defaults) =>
    Object.entries(defaults).filter(
      ([, value]) => typeof value === "string" && value.startsWith("http://127.0.0.1:"),
    ),
  ),
) as Record<string, string>;
// What `npm start` runs, by the names its log lines carry.
const startScript: string = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts[
  "start:services"
];
const serviceNames = /--names ([\w,-]+)/.exec(startScript)?.[1]?.split(",") ?? [];

describe("the README's commands on a bare machine", () => {
  const run = testRun();
  const clone = mkdtempSync(join(tmpdir(), "oryn-readme-"));
  let stack: ChildProcess | undefined;
  let output = "";

  afterAll(async () => {
    if (stack?.pid && stack.exitCode === null && stack.signalCode === null) {
      process.kill(-stack.pid, "SIGKILL");
    }
    rmSync(clone, { recursive: true, force: true });
  });

  const environment = (host: string): Record<string, string> => ({
    PATH: barePath,
    HOME: process.env.HOME ?? tmpdir(),
    // A cache other than ~/.cache/oryn, when the caller uses one.
    ...(process.env.ORYN_CACHE_DIR ? { ORYN_CACHE_DIR: process.env.ORYN_CACHE_DIR } : {}),
    ...(process.env.CI ? { CI: process.env.CI } : {}),
    // The nested test run uses this run's servers instead of looking for its own.
    ORYN_TEST_POSTGRES_URL: run.postgresUrl,
    ORYN_TEST_REDIS_URL: run.redisUrl,
    // `npm start`: this run's names, and its own loopback address for every service.
    DATABASE_URL: `${run.controlPlaneUrl}_readme`,
    TENANT_DATABASE_URL: run.postgresUrl,
    TENANT_DATABASE_SERVER: `postgres://${new URL(run.postgresUrl).host}`,
    TENANT_TEMPLATE_DATABASE: `${run.templateDatabase}_readme`,
    REDIS_URL: run.redisUrl,
    REDIS_PREFIX: `${run.redisPrefix}-readme`,
    HOST: host,
    ...Object.fromEntries(
      Object.entries(localAddresses).map(([name, url]) => [name, url.replace("127.0.0.1", host)]),
    ),
    // Two spares rather than ten: the claim path is the same, with less cloning on a shared server.
    TENANT_SPARE_DATABASES: "2",
  });

  it("the machine's PATH has a Node and npm", () => {
    const node = execFileSync("node", ["--version"], { env: { PATH: barePath } }).toString();
    const npm = execFileSync("npm", ["--version"], { env: { PATH: barePath } }).toString();
    // The README promises the API on 8080.
    expect(readmePorts).toContain(8080);
    expect(Object.keys(localAddresses)).toContain("WORKSPACE_URL");
    // Where the machine already has Node 24 or pnpm, the proof below is weaker: say so.
    console.log(
      `[readme] ${barePath}: node ${node.trim()}, npm ${npm.trim()}, ${hasCommand("pnpm") ? "pnpm too" : "no pnpm"}`,
    );
  });

  it("`npm start` in a fresh clone installs, serves the walk-through, and stops at Ctrl-C", async () => {
    execFileSync("git", ["clone", "--quiet", "--shared", "--no-checkout", root, clone]);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root }).toString().trim();
    execFileSync("git", ["checkout", "--quiet", "--detach", head], { cwd: clone });
    const host = await freeLoopbackAddress();
    stack = spawn("npm", ["start"], {
      cwd: clone,
      env: environment(host),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, as a terminal gives it: Ctrl-C signals the whole group.
      detached: true,
    });
    stack.stdout?.on("data", (chunk: Buffer) => (output += chunk));
    stack.stderr?.on("data", (chunk: Buffer) => (output += chunk));
    const started = stack;
    const exited = once(started, "exit");

    await within(waitForHealth(`http://${host}:8080/healthz`, started), 180_000).catch((error) => {
      throw new Error(`${error.message}\n${output}`);
    });

    // The README's walk-through as written, against this address.
    const walkThrough = readmeSection("Walk-through")
      .map((block) => block.replaceAll("http://localhost:8080", `http://${host}:8080`))
      .join("\n");
    expect(walkThrough).toContain("/v1/signup");
    // Into a file, as a terminal would take it: the walk-through writes to /dev/stderr, which
    // cannot be opened when it is a socket (Node's pipes are).
    const transcript = join(clone, "walk-through.log");
    const log = openSync(transcript, "w");
    // In the clone, as a newcomer types it there: the walk-through reads the mail `npm start`
    // writes to its .mail/.
    const shell = spawn("timeout", ["120", "bash", "-euo", "pipefail", "-c", walkThrough], {
      cwd: clone,
      env: { PATH: process.env.PATH ?? barePath, HOME: process.env.HOME ?? tmpdir() },
      stdio: ["ignore", log, log],
    });
    const [walkCode] = await once(shell, "exit");
    closeSync(log);
    const walked = readFileSync(transcript, "utf8");
    expect(walkCode, `${walked}\n--- npm start printed:\n${output}`).toBe(0);
    expect(walked).toContain('"status":"active"');
    expect(walked).toContain('"name": "Website relaunch"');

    // Where the README sends people first: the console, built by `npm start` in the fresh clone.
    const consolePage = await fetch(`http://${host}:8080/`);
    expect(consolePage.status, output).toBe(200);
    expect(await consolePage.text()).toContain('<div id="root">');

    // Ctrl-C.
    if (started.pid === undefined) throw new Error("npm start has no pid");
    const group = started.pid;
    process.kill(-group, "SIGINT");
    await within(exited, 60_000);
    await noneLeft(group, clone, 30_000).catch((error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    // Each service stopped gracefully, on the signal, rather than being killed.
    expect(serviceNames.length).toBeGreaterThan(0);
    for (const service of serviceNames) {
      expect(output, service).toMatch(
        new RegExp(`\\[${service}\\] \\{[^\\n]*"service":"${service}"[^\\n]*"msg":"stopped"`),
      );
    }
  }, 400_000);

  // The whole suite runs this way in CI (.ci/run's test step); here only the path to vitest, so
  // that the suite does not run inside itself.
  it("`npm test` in that clone reaches vitest through the same bootstrap", async () => {
    const child = spawn("npm", ["test", "--", "--help"], {
      cwd: clone,
      env: environment("127.0.0.1"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let printed = "";
    child.stdout?.on("data", (chunk: Buffer) => (printed += chunk));
    child.stderr?.on("data", (chunk: Buffer) => (printed += chunk));
    const [code] = await within(once(child, "exit"), 120_000);
    expect(code, printed).toBe(0);
    expect(stripVTControlCharacters(printed)).toMatch(/\$ vitest run --help[\s\S]*vitest\/5\./);
  }, 130_000);
});

function hasCommand(name: string): boolean {
  try {
    execFileSync("bash", ["-c", `command -v ${name}`], { env: { PATH: barePath } });
    return true;
  } catch {
    return false;
  }
}

/** The ```sh blocks of one `## ` section of the README. */
function readmeSection(title: string): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
}

/** A loopback address other than 127.0.0.1 on which the services' ports are all free. */
async function freeLoopbackAddress(): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const host = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
    const free = await Promise.all(readmePorts.map((port) => canListen(port, host)));
    if (free.every(Boolean)) return host;
  }
  throw new Error(`no loopback address with ports ${readmePorts.join(", ")} free`);
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until no process is left in `group`, nor any running in `dir`; fails naming them. */
async function noneLeft(group: number, dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = [...processesIn(dir), ...(groupAlive(group) ? [`group ${group}`] : [])];
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still running after Ctrl-C: ${left.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) {
        found.push(
          `${pid} (${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim()})`,
        );
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
