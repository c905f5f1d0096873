import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time by process group, from /proc, so a throughput figure comes with where the CPU went:
 * on two shared cores every hop's CPU is taken from the others, and microseconds of CPU per
 * answer say which hop to work on (a CPU profile says the same only for one process at a time).
 *
 * A group is the processes whose command line matches, and their descendants (PostgreSQL's
 * backends, nginx's workers). Children that exited during the window are counted too: the kernel
 * adds a reaped child's time to its parent's cutime/cstime, so a PostgreSQL backend that came
 * and went (tenant-pool churn) still shows, in the postmaster's figures.
 */
export type ProcessGroups = Record<string, (commandLine: string) => boolean>;

export type CpuSnapshot = Map<string, number>;

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

type ProcessStat = { parent: number; ownTicks: number; reapedTicks: number; commandLine: string };

function readProcesses(): Map<number, ProcessStat> {
  const processes = new Map<number, ProcessStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name, which is in parentheses and may hold spaces: state is
      // [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14] (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      processes.set(Number(entry), {
        parent: Number(fields[1]),
        ownTicks: Number(fields[11]) + Number(fields[12]),
        reapedTicks: Number(fields[13]) + Number(fields[14]),
        commandLine: readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim(),
      });
    } catch {
      // The process ended between listing and reading. Its time is in its parent's cutime, but
      // only if the parent was read after it ended: one pass can miss a process that ends midway
      // (a short-lived backend's few milliseconds, small against a run of seconds).
    }
  }
  return processes;
}

/** CPU seconds each group has used so far. */
export function cpuSnapshot(groups: ProcessGroups): CpuSnapshot {
  const processes = readProcesses();
  const groupOf = new Map<number, string>();
  const find = (pid: number, depth: number): string | undefined => {
    if (groupOf.has(pid)) return groupOf.get(pid);
    const process = processes.get(pid);
    if (!process || depth > 4) return undefined;
    const own = Object.keys(groups).find((name) => groups[name]?.(process.commandLine));
    const group = own ?? find(process.parent, depth + 1);
    if (group) groupOf.set(pid, group);
    return group;
  };
  const seconds = new Map<string, number>(Object.keys(groups).map((name) => [name, 0]));
  for (const [pid, process] of processes) {
    const group = find(pid, 0);
    if (!group) continue;
    // Reaped children count where their parent is in the group (a group's root, usually).
    const ticks = process.ownTicks + process.reapedTicks;
    seconds.set(group, (seconds.get(group) ?? 0) + ticks / ticksPerSecond);
  }
  return seconds;
}

/** Microseconds of CPU per answer, by group, between two snapshots; groups that used none left out. */
export function cpuPerAnswer(
  before: CpuSnapshot,
  after: CpuSnapshot,
  answers: number,
): Record<string, number> {
  const perAnswer: Record<string, number> = {};
  if (answers <= 0) return perAnswer;
  for (const [group, seconds] of after) {
    const used = seconds - (before.get(group) ?? 0);
    if (used > 0) perAnswer[group] = Math.round((used * 1e6) / answers);
  }
  return perAnswer;
}
