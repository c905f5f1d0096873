import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { otherProcesses, type ProcessTable } from "../lib/cpu-time.ts";

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
});
