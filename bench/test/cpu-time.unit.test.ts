import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cpuPerAnswer, cpuSnapshot, otherProcesses, type ProcessTable } from "../lib/cpu-time.ts";

const hz = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const table = (rows: Array<[number, number, number, number, string]>): ProcessTable =>
  new Map(
    rows.map(([pid, parent, ownTicks, reapedTicks, commandLine]) => [
      pid,
      { parent, ownTicks, reapedTicks, commandLine },
    ]),
  );
const noGroups = {};
const notLoad = () => false;

describe("otherProcesses", () => {
  it("counts of a child reaped during the run only the part of its life inside it", () => {
    // A type check (pid 50, its shell 40's child) had used 8 s when the run began and ended
    // after 0.5 s more of it: its shell's cutime grows by the whole 8.5 s.
    const before = table([
      [1, 0, 0, 0, "init"],
      [40, 1, 0, 0, "bash"],
      [50, 40, 8 * hz, 0, "tsc"],
    ]);
    const after = table([
      [1, 0, 0, 0, "init"],
      [40, 1, 0, 8.5 * hz, "bash"],
    ]);
    const seen = otherProcesses(before, after, 1, noGroups, notLoad);
    expect(seen.cores).toBe(0.5);
    expect(seen.busiest).toEqual([{ pid: 40, command: "bash", cores: 0.5 }]);
  });

  it("takes an orphan's earlier life off pid 1, which reaped it", () => {
    // The shell (40) ended first; its child (50) was reparented to pid 1 and ended in turn.
    const before = table([
      [1, 0, 0, 0, "init"],
      [40, 1, 1 * hz, 0, "bash"],
      [50, 40, 8 * hz, 0, "tsc"],
    ]);
    const after = table([[1, 0, 0, 9.5 * hz, "init"]]);
    // pid 1 reaped both: 1 s + 8.5 s of lives, 9 s of it before the run.
    expect(otherProcesses(before, after, 1, noGroups, notLoad).cores).toBe(0.5);
  });

  it("counts a process started and ended inside the run whole, and a living one's own time", () => {
    const before = table([
      [1, 0, 0, 0, "init"],
      [40, 1, 2 * hz, 0, "bash"],
    ]);
    const after = table([
      [1, 0, 0, 0, "init"],
      [40, 1, 2.25 * hz, 0.5 * hz, "bash"],
    ]);
    expect(otherProcesses(before, after, 1, noGroups, notLoad).cores).toBe(0.75);
  });

  it("takes a gone parent's and its gone child's earlier lives off the living grandparent", () => {
    // make (30) ran a shell (40) that ran a type check (50); the check ended, the shell reaped
    // it and ended in turn: make's cutime grows by the shell's whole life, the check's included.
    const before = table([
      [1, 0, 0, 0, "init"],
      [30, 1, 0, 0, "make"],
      [40, 30, 1 * hz, 0, "bash"],
      [50, 40, 8 * hz, 0, "tsc"],
    ]);
    const after = table([
      [1, 0, 0, 0, "init"],
      [30, 1, 0, 9.5 * hz, "make"],
    ]);
    const seen = otherProcesses(before, after, 1, noGroups, notLoad);
    expect(seen.cores).toBe(0.5);
    expect(seen.busiest).toEqual([{ pid: 30, command: "make", cores: 0.5 }]);
  });

  it("takes a child reaped before the first reading off once, inside its parent's reaped time", () => {
    // The shell (40) had reaped a type check of 8 s before the run; a lint (50) it ran ended
    // during the run, and so did the shell: make (30) reaped the shell's 1.25 s, the type
    // check's 8 s and the lint's 3.5 s, of which 0.25 s and 0.5 s inside the run.
    const before = table([
      [1, 0, 0, 0, "init"],
      [30, 1, 0, 0, "make"],
      [40, 30, 1 * hz, 8 * hz, "bash"],
      [50, 40, 3 * hz, 0, "eslint"],
    ]);
    const after = table([
      [1, 0, 0, 0, "init"],
      [30, 1, 0, 12.75 * hz, "make"],
    ]);
    expect(otherProcesses(before, after, 1, noGroups, notLoad).cores).toBe(0.75);
  });

  it("takes a gone group process's earlier life off the living process outside that reaped it", () => {
    // A service (41) run from a shell (40) ended a second into the run: its 5 s before the run
    // are no one's, its 0.5 s inside lands on the shell.
    const before = table([
      [1, 0, 0, 0, "init"],
      [40, 1, 0, 0, "bash"],
      [41, 40, 5 * hz, 0, "node gateway"],
    ]);
    const after = table([
      [1, 0, 0, 0, "init"],
      [40, 1, 0, 5.5 * hz, "bash"],
    ]);
    const groups = { gateway: (command: string) => command === "node gateway" };
    expect(otherProcesses(before, after, 1, groups, notLoad).cores).toBe(0.5);
  });
});

describe("cpuSnapshot", () => {
  it("counts of a backend reaped between two snapshots only the part of its life between them", () => {
    // A backend (110) had used 2 s at the first snapshot and 2.5 s when it ended: the
    // postmaster's cutime grows by 2.5 s, but the first snapshot's sum held the 2 s already.
    const postgres = { postgres: (command: string) => command.startsWith("postgres") };
    const before = table([
      [100, 1, 1 * hz, 0, "postgres -D data"],
      [110, 100, 2 * hz, 0, "postgres: tenant"],
    ]);
    const after = table([[100, 1, 1 * hz, 2.5 * hz, "postgres -D data"]]);
    const perAnswer = cpuPerAnswer(
      cpuSnapshot(postgres, before),
      cpuSnapshot(postgres, after),
      1000,
    );
    expect(perAnswer).toEqual({ postgres: 500 });
  });
});
