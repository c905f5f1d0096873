import { runCli } from "@oryn/testing/cli";
import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let controlPlane: Awaited<ReturnType<typeof isolatedRun>>;
let env: Record<string, string>;

beforeAll(async () => {
  controlPlane = await isolatedRun("cliservers");
  env = { ...serviceEnv(controlPlane), DATABASE_URL: controlPlane.controlPlaneUrl };
});
afterAll(() => controlPlane?.drop());

describe("pnpm oryn servers", () => {
  it("adds, lists and drains servers, with --json for scripts", async () => {
    const added = await runCli(
      [
        "servers",
        "add",
        "east-1",
        "--host",
        "db-east.internal",
        "--port",
        "6432",
        "--capacity",
        "50",
        "--json",
      ],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      name: "east-1",
      port: 6432,
      state: "accepting",
      tenants: 0,
    });

    expect((await runCli(["servers", "drain", "east-1"], env)).stdout).toBe("east-1 is draining\n");
    const listed = await runCli(["servers", "list", "--json"], env);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        name: "east-1",
        host: "db-east.internal",
        capacity: 50,
        state: "draining",
      }),
    ]);
  });

  it("refuses bad input with a usage line and a non-zero code", async () => {
    const missing = await runCli(["servers", "add", "west", "--host", "db"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/usage: pnpm oryn servers add/);
    const unknown = await runCli(["servers", "drain", "nowhere"], env);
    expect(unknown.code).toBe(1);
    const duplicate = await runCli(
      ["servers", "add", "east-1", "--host", "x", "--capacity", "1"],
      env,
    );
    expect(duplicate.code).toBe(1);
  });
});
