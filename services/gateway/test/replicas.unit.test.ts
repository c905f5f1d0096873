import { describe, expect, it } from "vitest";
import { createReplicaSet, rendezvousChoice } from "../src/proxy/replicas.ts";

// Tenant ids as the gateway sees them: UUIDs, here made deterministically so a failure repeats.
const tenants = Array.from({ length: 6000 }, (_, index) => {
  const hex = index.toString(16).padStart(12, "0");
  return `7f3c${hex.slice(0, 4)}-1b2d-4e5f-9a0b-${hex}`;
});
const three = ["http://10.0.0.1:8081", "http://10.0.0.2:8081", "http://10.0.0.3:8081"];

function spread(names: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const tenant of tenants) {
    const chosen = rendezvousChoice(tenant, names);
    counts.set(chosen, (counts.get(chosen) ?? 0) + 1);
  }
  return counts;
}

describe("the rendezvous choice of a workspace replica", () => {
  it("is stable: the same tenant goes to the same replica, whatever order the replicas are listed in", () => {
    const reversed = [...three].reverse();
    const some = tenants.slice(0, 1000);
    const chosen = some.map((tenant) => rendezvousChoice(tenant, three));
    expect(some.map((tenant) => rendezvousChoice(tenant, three))).toEqual(chosen);
    expect(some.map((tenant) => rendezvousChoice(tenant, reversed))).toEqual(chosen);
  });

  it("spreads tenants evenly over the replicas", () => {
    for (const names of [three.slice(0, 2), three, [...three, "http://10.0.0.4:8081"]]) {
      const counts = spread(names);
      const fair = tenants.length / names.length;
      expect([...counts.keys()].sort()).toEqual([...names].sort());
      // Binomial spread at 6,000 tenants: a few percent off the fair share at most.
      for (const count of counts.values()) expect(Math.abs(count - fair) / fair).toBeLessThan(0.08);
    }
  });

  it("moves only the removed replica's tenants when one goes, and only to the others", () => {
    const remaining = three.filter((name) => name !== "http://10.0.0.2:8081");
    let moved = 0;
    const strayed: string[] = [];
    for (const tenant of tenants) {
      const before = rendezvousChoice(tenant, three);
      const after = rendezvousChoice(tenant, remaining);
      if (before === "http://10.0.0.2:8081") moved++;
      else if (after !== before) strayed.push(tenant);
    }
    expect(moved).toBeGreaterThan(0);
    expect(strayed).toEqual([]);
  });

  it("sends a failing replica's tenants to their next replica in order, and back when it returns", () => {
    let now = 0;
    const replicas = createReplicaSet(three, { ejectAfter: 2, ejectMs: 1_000, now: () => now });
    const tenant = tenants.find((id) => rendezvousChoice(id, three) === three[1]) as string;
    const order = replicas.order(tenant);
    expect(order[0]).toBe(1);
    // One failure is not enough to pass it over; two in a row are.
    replicas.failed(1);
    expect(replicas.order(tenant)).toEqual(order);
    replicas.failed(1);
    expect(replicas.order(tenant)).toEqual([...order.slice(1), 1]);
    expect(replicas.listed()).toEqual([0, 2, 1]);
    // Tried again once the time is up, and passed over again after two more refusals, not one.
    now += 1_000;
    expect(replicas.order(tenant)).toEqual(order);
    replicas.failed(1);
    expect(replicas.order(tenant)).toEqual(order);
    // A replica that answers is healthy at once.
    replicas.failed(1);
    replicas.failed(1);
    replicas.answered(1);
    expect(replicas.order(tenant)).toEqual(order);
  });

  it("sends a request without a tenant to the first healthy replica as listed", () => {
    const replicas = createReplicaSet(three);
    expect(replicas.order(undefined)).toEqual([0, 1, 2]);
    replicas.failed(0);
    replicas.failed(0);
    expect(replicas.order(undefined)).toEqual([1, 2, 0]);
  });
});
