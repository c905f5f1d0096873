import { errors } from "undici";
import { describe, expect, it } from "vitest";
import { neverConnected, socketFailed } from "../src/proxy/upstream.ts";

const failure = (code: string, syscall?: string) =>
  Object.assign(new Error(code), { code, ...(syscall && { syscall }) });

/**
 * Which failures prove that no byte of a request reached a replica (any request may then go to
 * the next one) and which may come after it did (only a safe one is sent again).
 */
describe("upstream failures", () => {
  it("takes a refused, unreachable or unresolved connection, or a connect timeout, as never connected", () => {
    for (const code of [
      "ECONNREFUSED",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "EADDRNOTAVAIL",
      "ENOTFOUND",
      "EAI_AGAIN",
    ]) {
      expect(neverConnected(failure(code)), code).toBe(true);
    }
    expect(neverConnected(failure("EWHATEVER", "connect"))).toBe(true);
    expect(neverConnected(new errors.ConnectTimeoutError())).toBe(true);
  });

  it("takes a name's addresses all refused (one AggregateError) as never connected, and a mix as not", () => {
    const refused = new AggregateError([
      failure("ECONNREFUSED", "connect"),
      failure("ECONNREFUSED", "connect"),
    ]);
    expect(neverConnected(Object.assign(refused, { code: "ECONNREFUSED" }))).toBe(true);
    const mixed = new AggregateError([failure("ECONNREFUSED"), failure("ECONNRESET", "read")]);
    expect(neverConnected(mixed)).toBe(false);
  });

  it("takes a reset or a closed socket as a failure after connecting", () => {
    for (const error of [failure("ECONNRESET", "read"), failure("EPIPE", "write")]) {
      expect(neverConnected(error)).toBe(false);
      expect(socketFailed(error)).toBe(true);
    }
    expect(socketFailed(new errors.SocketError("other side closed"))).toBe(true);
    expect(socketFailed(new errors.HeadersTimeoutError())).toBe(false);
  });
});
