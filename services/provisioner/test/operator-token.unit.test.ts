import { ConfigError, parseConfig } from "@oryn/shared";
import { describe, expect, it } from "vitest";
import { provisionerEnv } from "../src/env.ts";

const configWith = (token: string) => () =>
  parseConfig(provisionerEnv, { NODE_ENV: "production", OPERATOR_TOKEN: token });

describe("OPERATOR_TOKEN", () => {
  it("is taken when it is a bearer token's characters, as `openssl rand -base64 32` makes", () => {
    const token = "q7Yf2+Kd9/xZ3mN8pL4vR6tW1sB5cE0gH2jQ9uA7yT0=";
    expect(configWith(token)().OPERATOR_TOKEN).toBe(token);
  });

  it("is refused at start when no Authorization header could carry it", () => {
    // Taken, it would have been refused on every operator request instead.
    expect(configWith("pa$$word-with-more-than-32-characters!")).toThrow(ConfigError);
    expect(configWith("pa$$word-with-more-than-32-characters!")).toThrow(/OPERATOR_TOKEN: letters/);
    expect(configWith("an operator secret with spaces in it, 32+")).toThrow(
      /OPERATOR_TOKEN: letters/,
    );
  });
});
