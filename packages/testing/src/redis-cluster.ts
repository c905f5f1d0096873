import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./processes.ts";

const run = promisify(execFile);

/**
 * A three-node Redis Cluster of the test's own (masters only, nothing kept on disk after), from
 * the machine's redis-server and redis-cli: `url` is the comma-separated seed list REDIS_URL
 * takes for a cluster.
 */
export async function startRedisCluster() {
  const dir = mkdtempSync(join(tmpdir(), "oryn-redis-cluster-"));
  // Each node also listens on its port + 10000 (the cluster bus): both must be free and below
  // the ephemeral range, where the suite's own outgoing connections could take the bus port.
  const nodePort = () => freePort({ from: 20_000, to: 22_700, alsoFree: (port) => port + 10_000 });
  const ports = [await nodePort(), await nodePort(), await nodePort()];
  const nodes: ChildProcess[] = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      { stdio: "ignore" },
    ),
  );
  const stop = async () => {
    await Promise.all(
      nodes.map(async (node) => {
        if (node.exitCode !== null || node.signalCode !== null) return;
        const exited = once(node, "exit");
        node.kill("SIGKILL");
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitFor(() => run("redis-cli", ["-p", String(port), "ping"]));
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const port of ports) {
      await waitFor(async () => {
        const { stdout } = await run("redis-cli", ["-p", String(port), "cluster", "info"]);
        if (!stdout.includes("cluster_state:ok")) throw new Error("cluster not ready");
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports, url: ports.map((port) => `redis://127.0.0.1:${port}`).join(","), stop };
}

async function waitFor(check: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
