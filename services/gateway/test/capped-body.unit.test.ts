import { describe, expect, it } from "vitest";
import { cappedBody } from "../src/sso/capped-body.ts";

/** A body of `chunks`, noting whether the reader gave up on it. */
function streamOf(chunks: string[]) {
  const state = { cancelled: false, pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[state.pulled++];
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe("cappedBody", () => {
  it("reads a body up to the limit whole, and a missing one as empty", async () => {
    const { stream } = streamOf(["<md", ">", "</md>"]);
    expect((await cappedBody(stream, 9, () => new Error("too large"))).toString()).toBe(
      "<md></md>",
    );
    expect((await cappedBody(null, 9, () => new Error("too large"))).length).toBe(0);
  });

  it("throws the caller's error past the limit, cancels the body and reads no further", async () => {
    const { stream, state } = streamOf(["12345", "67890", "never read"]);
    await expect(cappedBody(stream, 9, () => new Error("more than 9 bytes"))).rejects.toThrow(
      "more than 9 bytes",
    );
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(3);
  });
});
