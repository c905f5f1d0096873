import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";

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
/** Every process of the machine, read once: both kinds of snapshot are taken from one reading. */
export type ProcessTable = Map<number, ProcessStat>;

export function readProcesses(): ProcessTable {
  const processes = new Map<number, ProcessStat>();
  // Processes read before their parent (pids wrap), by parent pid.
  const readFirst = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name, which is in parentheses and may hold spaces: state is
      // [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14] (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const parent = Number(fields[1]);
      processes.set(pid, {
        parent,
        ownTicks: Number(fields[11]) + Number(fields[12]),
        reapedTicks: Number(fields[13]) + Number(fields[14]),
        commandLine: readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim(),
      });
      if (!processes.has(parent)) readFirst.set(parent, [...(readFirst.get(parent) ?? []), pid]);
      // A child read earlier and gone now was, but for the microseconds since this stat, reaped
      // before it: its whole life is in the cutime just read. Left out as if it had ended before
      // the reading, or a snapshot would count it twice and otherProcesses take it off twice.
      for (const child of readFirst.get(pid) ?? []) {
        if (!existsSync(`/proc/${child}`)) processes.delete(child);
      }
    } catch {
      // The process ended between listing and reading. Its time is in its parent's cutime, but
      // only if the parent was read after it ended: one pass can miss a process that ends midway
      // (a short-lived backend's few milliseconds, small against a run of seconds).
    }
  }
  return processes;
}

/** The group of each process in one (itself, or its parent's up to four levels). */
function groupsOf(processes: ProcessTable, groups: ProcessGroups): Map<number, string> {
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
  for (const pid of processes.keys()) find(pid, 0);
  return groupOf;
}

/** CPU seconds each group has used so far. */
export function cpuSnapshot(
  groups: ProcessGroups,
  processes: ProcessTable = readProcesses(),
): CpuSnapshot {
  const groupOf = groupsOf(processes, groups);
  const seconds = new Map<string, number>(Object.keys(groups).map((name) => [name, 0]));
  for (const [pid, process] of processes) {
    const group = groupOf.get(pid);
    if (!group) continue;
    // Reaped children count where their parent is in the group (a group's root, usually). Between
    // two snapshots only the part of a reaped child's life inside them counts: what it had used
    // at the first was in that one's sum too, as its own figures (otherProcesses, reporting each
    // process rather than a sum, has to take it off by hand).
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

/** A process outside every group that used CPU during a run, in cores (1 = one core all along). */
export type OtherProcess = { pid: number; command: string; cores: number };

/**
 * What else ran during a run: the processes in no group (other people's work on the machine, the
 * bench's own driver, anything the stack does not account for) and the CPU they used between two
 * readings `seconds` apart, in cores. Those using at least `threshold` cores are listed, busiest
 * first; `cores` is all of them together. The load generator is left out (its own account is in
 * the run's figures), and so is the time of the driver's reaped children (that is the load
 * generator too).
 *
 * A child reaped during the run adds its whole life's CPU to its parent's cutime, not just the
 * part inside the run: a type check that had run for 8 s and ended a second into the run once
 * showed as 8 cores of pid 1 (which reaps orphans). So what each process gone by the second
 * reading had used at the first (its own time and its reaped children's) is taken off the reaped
 * time of the living process that now holds its life: its parent, or, if the parent is gone too
 * (having reaped it first), the parent's whole life, this child's included, went to the
 * grandparent, and so on up to the nearest ancestor still living. A living grandparent over a
 * gone parent and a gone child thus loses parent.own + parent.reaped + child.own + child.reaped
 * (first-reading figures). Nothing is taken off twice: a process's first-reading reaped time holds
 * only children already reaped then, and readProcesses leaves those out. Two readings cannot
 * say which ended first: a child that outlived its parent was reparented, to pid 1 here (a
 * subreaper elsewhere), which keeps that overcount while the ancestor loses too much (down to 0).
 */
export function otherProcesses(
  before: ProcessTable,
  after: ProcessTable,
  seconds: number,
  groups: ProcessGroups,
  isLoadGenerator: (commandLine: string) => boolean,
  threshold = 0.02,
): { cores: number; busiest: OtherProcess[] } {
  const grouped = groupsOf(after, groups);
  // What each living process's reaped time holds from before the first reading.
  const usedByGone = new Map<number, number>();
  for (const [pid, then] of before) {
    if (after.has(pid) || isLoadGenerator(then.commandLine)) continue;
    const holder = livingAncestor(then.parent, before, after);
    usedByGone.set(holder, (usedByGone.get(holder) ?? 0) + then.ownTicks + then.reapedTicks);
  }
  let total = 0;
  const busiest: OtherProcess[] = [];
  if (seconds <= 0) return { cores: 0, busiest };
  for (const [pid, now] of after) {
    if (grouped.has(pid) || isLoadGenerator(now.commandLine)) continue;
    const then = before.get(pid);
    const reaped =
      pid === process.pid
        ? 0
        : now.reapedTicks - (then?.reapedTicks ?? 0) - (usedByGone.get(pid) ?? 0);
    const ticks = now.ownTicks - (then?.ownTicks ?? 0) + Math.max(0, reaped);
    if (ticks <= 0) continue;
    const cores = ticks / ticksPerSecond / seconds;
    total += cores;
    if (cores >= threshold) {
      busiest.push({ pid, command: now.commandLine.slice(0, 120), cores: round2(cores) });
    }
  }
  busiest.sort((a, b) => b.cores - a.cores);
  return { cores: round2(total), busiest: busiest.slice(0, 10) };
}

/** A process's nearest ancestor, by the first reading's links, living at the second; else pid 1. */
function livingAncestor(parent: number, before: ProcessTable, after: ProcessTable): number {
  let pid = parent;
  for (let depth = 0; pid > 1 && depth < 64; depth++) {
    if (after.has(pid)) return pid;
    pid = before.get(pid)?.parent ?? 1;
  }
  return 1;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
