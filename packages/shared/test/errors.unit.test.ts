import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors.ts";

describe("ApiError", () => {
  it("captures no stack trace for a refusal (4xx), and a full one for a fault (5xx)", () => {
    const limit = Error.stackTraceLimit;
    const refusal = new ApiError("rate_limited");
    const fault = new ApiError("upstream_unavailable", { status: 503 });
    const frames = (error: Error) =>
      (error.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));

    expect(refusal.status).toBe(429);
    expect(frames(refusal)).toHaveLength(0);
    expect(fault.status).toBe(503);
    expect(frames(fault).length).toBeGreaterThan(0);
    // The process's own setting is left as it was, for every other error.
    expect(Error.stackTraceLimit).toBe(limit);
    expect(frames(new Error("any")).length).toBeGreaterThan(0);
  });
});
