import { parseConfig, refusedClassOf, resolveTarget } from "@oryn/shared";
import { serviceEnv } from "@oryn/testing/context";
import { afterAll, describe, expect, it } from "vitest";
import { webhooksEnv } from "../src/env.ts";
import {
  attemptsOf,
  recordEvents,
  registerEndpoint,
  tenantWithAdmin,
  webhooksInProcess,
} from "./fixtures.ts";
import { startReceiver } from "./receiver.ts";

const strict = { allowPrivate: false, production: false };

describe("no SSRF: addresses a delivery refuses", () => {
  it.each([
    ["loopback", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1"]],
    [
      "private",
      [
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "100.64.0.1",
        "fd12::1",
        "64:ff9b::a00:1",
      ],
    ],
    ["link-local", ["169.254.1.1", "fe80::1"]],
    ["metadata", ["169.254.169.254", "100.100.100.200", "fd00:ec2::254"]],
    ["unspecified", ["0.0.0.0", "::"]],
    ["reserved", ["224.0.0.1", "240.0.0.1", "192.0.2.1", "2001:db8::1", "ff02::1"]],
  ] as const)("%s addresses", (refused, addresses) => {
    for (const address of addresses) expect(refusedClassOf(address), address).toBe(refused);
  });

  it("public addresses pass", () => {
    for (const address of [
      "93.184.215.14",
      "8.8.8.8",
      "172.32.0.1",
      "2606:4700::1111",
      "::ffff:8.8.8.8",
    ])
      expect(refusedClassOf(address), address).toBeUndefined();
  });

  it("checks after DNS resolution: a name that resolves to loopback is refused", async () => {
    await expect(resolveTarget("http://localhost:9/hook", strict)).rejects.toThrow(
      /refused: .* is a loopback address/,
    );
    await expect(resolveTarget("https://[::1]/hook", strict)).rejects.toThrow(/loopback/);
    await expect(resolveTarget("https://169.254.169.254/latest", strict)).rejects.toThrow(
      /metadata/,
    );
  });

  it("plain http:// is refused in production, whatever the address", async () => {
    await expect(
      resolveTarget("http://93.184.215.14/hook", { allowPrivate: false, production: true }),
    ).rejects.toThrow("plain http:// in production");
    await expect(
      resolveTarget("https://93.184.215.14/hook", { allowPrivate: false, production: true }),
    ).resolves.toMatchObject({ address: "93.184.215.14" });
  });

  it("production refuses to start with WEBHOOKS_ALLOW_PRIVATE_TARGETS=true", () => {
    expect(() =>
      parseConfig(webhooksEnv, {
        ...serviceEnv(),
        NODE_ENV: "production",
        WEBHOOKS_SECRETS_KEY: "x".repeat(43),
        WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
      }),
    ).toThrow(/WEBHOOKS_ALLOW_PRIVATE_TARGETS: must not be true in production/);
  });
});

const webhooks = await webhooksInProcess({ WEBHOOKS_ALLOW_PRIVATE_TARGETS: "false" });
afterAll(() => webhooks.close());

describe("no SSRF: a delivery to a refused address", () => {
  it("is never sent: the attempt is logged as refused and retried on schedule", async () => {
    const receiver = await startReceiver();
    try {
      const { tenantId } = await tenantWithAdmin(webhooks.sql);
      const endpoint = await registerEndpoint(webhooks.deps, tenantId, receiver.url("/inside"));
      await recordEvents(webhooks.sql, tenantId, [{ type: "project.created", data: {} }]);
      await expect
        .poll(async () => (await attemptsOf(webhooks.sql, endpoint.id)).length >= 2, {
          timeout: 30_000,
        })
        .toBe(true);
      const [first] = await attemptsOf(webhooks.sql, endpoint.id);
      expect(first).toMatchObject({ status: "failed", responseStatus: null });
      expect(first?.responseExcerpt).toBe("refused: 127.0.0.1 is a loopback address");
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});
