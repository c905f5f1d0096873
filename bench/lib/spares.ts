import type { BenchStack } from "./bench-stack.ts";

/**
 * The provisioner's warm pool target in the bench: enough spares for the signup burst
 * (TENANT_SPARE_DATABASES overrides it; 0 measures the clone-on-demand path).
 */
export function spareTarget(concurrent: number): number {
  const raw = process.env.TENANT_SPARE_DATABASES;
  return raw === undefined || raw === "" ? concurrent : Number(raw);
}

/**
 * Waits until the pool holds `target` ready spares, so that no scenario is measured while the
 * provisioner clones in the background; answers how long that took.
 */
export async function sparesReady(stack: BenchStack, target: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const [row] = await stack.controlPlane<{ ready: number }[]>`
      select count(*)::int as ready from spare_databases where state = 'ready' and tenant_id is null`;
    if ((row?.ready ?? 0) >= target) return Math.round(performance.now() - started);
    if (performance.now() - started > 600_000) throw new Error("the spare pool did not fill");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
