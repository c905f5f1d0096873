import { createServer, type Server } from "node:net";
import { freePort } from "@oryn/testing/processes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portAccepts } from "../src/operations.ts";
import { withTimeout } from "../src/timeouts.ts";

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "::1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("portAccepts", () => {
  it("reaches a server by an IPv6 literal, brackets and all", async () => {
    await expect(portAccepts(`postgres://[::1]:${port}`)()).resolves.toBeUndefined();
  });

  it("fails for a port nothing listens on", async () => {
    await expect(portAccepts(`postgres://127.0.0.1:${await freePort()}`)()).rejects.toThrow();
  });
});

describe("withTimeout", () => {
  it("passes a prompt answer through and names what was too slow", async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, "quick")).resolves.toBe(7);
    const never = new Promise<never>(() => {});
    await expect(withTimeout(never, 20, "the slow thing")).rejects.toThrow(
      "the slow thing timed out after 20 ms",
    );
  });
});
