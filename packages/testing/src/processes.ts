import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { join } from "node:path";

// packages/testing/src: the repository root is three folders up.
const root = join(import.meta.dirname, "..", "..", "..");

export type ServiceName =
  | "gateway"
  | "workspace"
  | "billing"
  | "provisioner"
  | "mailer"
  | "webhooks";
/** The services every `startOryn` runs; the mailer and webhooks run when asked for. */
type CoreServiceName = Exclude<ServiceName, "mailer" | "webhooks">;

export type RunningService = {
  name: ServiceName;
  port: number;
  url: string;
  process: ChildProcess;
  /** Everything the process printed, for the failure message of a test that needs it. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/** Ports this process has handed out: none is handed out twice (see `freePort`). */
const handedOut = new Set<number>();
/** Vitest workers draw ports of different residues modulo this (see `freePort`). */
const workerResidues = 8;

/** A port nothing listens on right now, and that no earlier call in this process answered. */
export async function freePort(
  options: { from?: number; to?: number; alsoFree?: (port: number) => number } = {},
): Promise<number> {
  // Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default), which the
  // suite's hundreds of outgoing connections to PostgreSQL and Redis draw from: a port the OS
  // picked there could be taken by one of them before the service binds it. Chosen at random
  // and checked free.
  //
  // A check cannot see a port picked but not bound yet: startOryn picks five to seven before
  // starting any service, and a service binds seconds after its pick. Drawn from all 12,000 ports,
  // two picks of one startOryn were the same once in 1,200 calls (about one run in 40), and the
  // other worker's file could pick it meanwhile too. So a port is never answered twice in a
  // process, and each vitest worker (VITEST_POOL_ID, from 1) takes only ports of its own residue
  // modulo 8, whatever range a caller asks for (a companion 10,000 up keeps the residue).
  const from = options.from ?? 20_000;
  const to = options.to ?? 32_000;
  const worker = Number(process.env.VITEST_POOL_ID);
  const residue =
    Number.isInteger(worker) && worker >= 1 ? (worker - 1) % workerResidues : undefined;
  for (let attempt = 0; attempt < 50; attempt++) {
    let port = from + Math.floor(Math.random() * (to - from));
    if (residue !== undefined)
      port += (residue - (port % workerResidues) + workerResidues) % workerResidues;
    if (port >= to || handedOut.has(port)) continue;
    const companion = options.alsoFree?.(port);
    if (companion !== undefined && handedOut.has(companion)) continue;
    if ((await canListen(port)) && (companion === undefined || (await canListen(companion)))) {
      handedOut.add(port);
      if (companion !== undefined) handedOut.add(companion);
      return port;
    }
  }
  throw new Error("no free port below the ephemeral range");
}

/** Whether `port` is free on `host` right now. */
export async function canListen(port: number, host = "127.0.0.1"): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, host);
    await once(server, "listening");
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

/** Where a process may run: a `taskset -c` CPU list ("0", "0-1"); unset, wherever the OS likes. */
export type Placement = { cpus?: string | undefined };
/**
 * How a service is started: its placement, and how long it may take to answer /healthz (20 s by
 * default; four services pinned to one busy core can take longer).
 */
export type StartOptions = Placement & { healthTimeoutMs?: number } & EntryPoint;
/**
 * The file the process runs, from the repository root: `services/<name>/src/main.ts` unless a
 * test gives its own entry point (one that starts the service with test-only hooks).
 */
export type EntryPoint = { entry?: string };
/**
 * `startOryn`'s options; `mailer: true` also starts services/mailer (give it an SMTP_URL, e.g. a
 * packages/testing/src/smtp-receiver.ts, or it writes .eml files to MAIL_DIR).
 */
export type StartOrynOptions = StartOptions & { mailer?: boolean; webhooks?: boolean };

/** `command args` as spawn takes it, under `taskset -c <cpus>` when a CPU list is given. */
export function placed(command: string, args: string[], placement: Placement = {}) {
  // taskset execs the command, so the child's pid (and signals to it) are the command's own.
  return placement.cpus === undefined
    ? { command, args }
    : { command: "taskset", args: ["-c", placement.cpus, command, ...args] };
}

/** `node services/<name>/src/main.ts` as its own process, collecting what it prints. */
export function spawnService(
  name: ServiceName,
  env: Record<string, string>,
  options: Placement & EntryPoint = {},
): { child: ChildProcess; output(): string } {
  const { command, args } = placed(
    process.execPath,
    [join(root, options.entry ?? join("services", name, "src", "main.ts"))],
    options,
  );
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { child, output: () => output };
}

/** Starts a service on `port` and waits for its /healthz. */
export async function startService(
  name: ServiceName,
  port: number,
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<RunningService> {
  const { child, output } = spawnService(
    name,
    { ...env, PORT: String(port), HOST: "127.0.0.1" },
    options,
  );
  const service: RunningService = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    process: child,
    output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      // 'exit' can come before the last of the process's output is read from its pipes (what
      // it logged as it stopped, which tests read from output()): 'close' comes after both.
      // Bounded, in case something the process started still holds a pipe open.
      const closed = once(child, "close").catch(() => undefined);
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      let drained: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise((resolve) => (drained = setTimeout(resolve, 2_000))),
      ]);
      clearTimeout(drained);
      return code;
    },
  };
  await waitForHealth(service, options.healthTimeoutMs);
  return service;
}

// Generous: startOryn loads four processes at once on two cores, and with other test runs on the
// machine (load average 14) a gateway took over 20 s to answer its first /healthz. A healthy
// start returns as soon as it answers; only a broken one waits this long to be reported.
async function waitForHealth(service: RunningService, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.process.exitCode !== null) {
      throw new Error(
        `${service.name} exited with ${service.process.exitCode}:\n${service.output()}`,
      );
    }
    try {
      const answer = await fetch(`${service.url}/healthz`);
      if (answer.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await service.stop("SIGKILL");
  throw new Error(
    `${service.name} did not become healthy in ${timeoutMs} ms:\n${service.output()}`,
  );
}

export type Oryn = {
  gatewayUrl: string;
  /** The gateway's operations port: /readyz and /metrics. */
  gatewayOpsUrl: string;
  /** The running process of each service; `kill` and `revive` replace an entry. */
  services: Record<CoreServiceName, RunningService> & {
    mailer?: RunningService;
    webhooks?: RunningService;
  };
  /** Stops one service (by default as a crash: SIGKILL) and leaves it down until `revive`. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed service again, on its port and with its environment, and waits for it. */
  revive(name: ServiceName): Promise<RunningService>;
  /** The environment each service was started with (its PORT aside), to start another like it. */
  env: Record<CoreServiceName, Record<string, string>> & {
    mailer?: Record<string, string>;
    webhooks?: Record<string, string>;
  };
  stop(): Promise<void>;
};

/** All four services (and the mailer if asked for) as real processes on free ports, wired. */
export async function startOryn(
  env: Record<string, string>,
  overrides: Partial<Record<ServiceName, Record<string, string>>> = {},
  options: StartOrynOptions = {},
): Promise<Oryn> {
  const ports: Record<ServiceName, number> = {
    gateway: await freePort(),
    workspace: await freePort(),
    billing: await freePort(),
    provisioner: await freePort(),
    mailer: options.mailer ? await freePort() : 0,
    webhooks: options.webhooks ? await freePort() : 0,
  };
  const opsPort = await freePort();
  const wiring = {
    WORKSPACE_URL: `http://127.0.0.1:${ports.workspace}`,
    BILLING_URL: `http://127.0.0.1:${ports.billing}`,
    PROVISIONER_URL: `http://127.0.0.1:${ports.provisioner}`,
    JWKS_URL: `http://127.0.0.1:${ports.gateway}/.well-known/jwks.json`,
  };
  const started: RunningService[] = [];
  const envs = {} as Oryn["env"];
  const start = async (name: ServiceName) => {
    // The gateway's operations port must be free too (its default is the dev server's).
    // Its public address, as identity providers send browsers back to it.
    const own: Record<string, string> =
      name === "gateway"
        ? { OPS_PORT: String(opsPort), PUBLIC_URL: `http://127.0.0.1:${ports.gateway}` }
        : {};
    const serviceEnv = { ...env, ...wiring, ...own, ...overrides[name] };
    envs[name] = serviceEnv;
    const service = await startService(name, ports[name], serviceEnv, options);
    started.push(service);
    return service;
  };
  try {
    const [gateway, workspace, billing, provisioner, mailer, webhooks] = await Promise.all([
      start("gateway"),
      start("workspace"),
      start("billing"),
      start("provisioner"),
      options.mailer ? start("mailer") : undefined,
      options.webhooks ? start("webhooks") : undefined,
    ]);
    const services: Oryn["services"] = {
      gateway,
      workspace,
      billing,
      provisioner,
      ...(mailer ? { mailer } : {}),
      ...(webhooks ? { webhooks } : {}),
    };
    const running = (name: ServiceName) => {
      const service = services[name];
      if (!service)
        throw new Error(`${name} was not started (startOryn's mailer and webhooks options)`);
      return service;
    };
    return {
      gatewayUrl: gateway.url,
      gatewayOpsUrl: `http://127.0.0.1:${opsPort}`,
      services,
      async kill(name, signal = "SIGKILL") {
        await running(name).stop(signal);
      },
      async revive(name) {
        const { process: child } = running(name);
        if (child.exitCode === null && child.signalCode === null)
          throw new Error(`${name} is still running`);
        const revived = await start(name);
        services[name] = revived;
        return revived;
      },
      env: envs,
      async stop() {
        // Every process ever started here: stopping one that has exited already is a no-op.
        await Promise.all(started.map((service) => service.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((service) => service.stop("SIGKILL")));
    throw error;
  }
}
