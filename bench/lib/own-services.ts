import { spawn } from "node:child_process";
import { join } from "node:path";
import { freePort, placed, type RunningService, startService } from "@oryn/testing/processes";
import type { BenchStack } from "./bench-stack.ts";
import { stopChild, untilAnswering } from "./children.ts";
import type { Settings } from "./settings.ts";

/**
 * A service of a scenario's own beside the stack's (a gateway with other settings, fresh
 * workspace replicas): the stack's environment for it with `env` over it, on a free port, placed
 * like the stack's and given 90 s to answer (a busy pinned core can take a while), stopped with
 * the stack unless the scenario stops it first. A gateway gets an ops port of its own.
 */
export async function startOwnService(
  stack: BenchStack,
  name: "gateway" | "workspace",
  env: Record<string, string> = {},
): Promise<RunningService> {
  const own: Record<string, string> =
    name === "gateway" ? { OPS_PORT: String(await freePort()) } : {};
  const service = await startService(
    name,
    await freePort(),
    { ...stack.oryn.env[name], ...own, ...env },
    { ...stack.placement, healthTimeoutMs: 90_000 },
  );
  stack.defer(() => service.stop().then(() => {}));
  return service;
}

/**
 * One of bench/'s own servers (`script`, its port given first, then `args`) on the servers'
 * cores, once it answers; stopped with the stack unless the scenario stops it first.
 */
export async function startBenchServer(
  context: { stack: BenchStack; settings: Settings },
  script: string,
  args: string[] = [],
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const { command, args: placedArgs } = placed(
    process.execPath,
    [join(import.meta.dirname, "..", script), String(port), ...args],
    { cpus: context.settings.serverCpus },
  );
  const child = spawn(command, placedArgs, { stdio: ["ignore", "inherit", "inherit"] });
  context.stack.defer(() => stopChild(child));
  const url = `http://127.0.0.1:${port}`;
  await untilAnswering(url, child);
  return { url, stop: () => stopChild(child) };
}
