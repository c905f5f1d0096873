import { join } from "node:path";
import type { BenchStack } from "./bench-stack.ts";
import type { ProcessGroups } from "./cpu-time.ts";

const repositoryRoot = join(import.meta.dirname, "..", "..");

/**
 * The processes whose CPU a load run accounts for. The load generator is not here: it has exited
 * by the second snapshot, and reports its own CPU instead. Redis is the machine's service, so its
 * figure includes anything else using it at the time.
 */
export function stackProcessGroups(stack: BenchStack): ProcessGroups {
  // This checkout's own services only, by their full path: other checkouts' stacks on the same
  // machine (other people's tests and benches) run the same entry points, and counting them
  // made a run's figures wrong by whatever they did meanwhile (or dropped a group altogether
  // when one of theirs exited between the two snapshots).
  const service = (name: string) => (command: string) =>
    command.includes(join(repositoryRoot, "services", name, "src", "main.ts"));
  return {
    gateway: service("gateway"),
    workspace: service("workspace"),
    billing: service("billing"),
    provisioner: service("provisioner"),
    webhooks: service("webhooks"),
    postgres: (command) =>
      command.includes("/bin/postgres ") && command.includes(`-p ${stack.postgres.port} `),
    redis: (command) => command.startsWith("redis-server"),
    nginx: (command) => command.startsWith("nginx: master process"),
    ceiling: (command) => command.includes(join(repositoryRoot, "bench", "ceiling-server.ts")),
    "proxy floor": (command) => command.includes(join(repositoryRoot, "bench", "floor-proxy.ts")),
    "database floor": (command) =>
      command.includes(join(repositoryRoot, "bench", "floor-database.ts")),
  };
}

/** This checkout's load generator (bench/load-generator.ts), by its full path. */
export const isLoadGenerator = (command: string) =>
  command.includes(join(repositoryRoot, "bench", "load-generator.ts"));
