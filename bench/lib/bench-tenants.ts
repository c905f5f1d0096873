import { randomUUID } from "node:crypto";
import { activeTenants } from "@oryn/testing/tenants";
import type { BenchStack } from "./bench-stack.ts";

/** An active tenant with one project, and a token for it. */
export type BenchTenant = { id: string; token: string; projectPath: string };

/**
 * The bench's tenants, made once and shared by the scenarios that need them (the first few by
 * the throughput scenarios, up to BENCH_TENANTS by the many-tenant and fleet ones). Made through
 * the real provisioning steps (packages/testing/src/tenants.ts), not through HTTP signups: that is the
 * provisioning scenario's business, and 1,000 signups would take most of the run.
 */
export function benchTenants(stack: BenchStack) {
  const made: BenchTenant[] = [];
  return async function tenants(count: number): Promise<BenchTenant[]> {
    if (made.length < count) {
      const started = performance.now();
      const ids = await activeTenants(stack.provisioning, count - made.length, 4);
      // A few at a time: each opens the tenant's pool, and the connection budget is shared.
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
            made.push(await withProject(stack, id));
          }
        }),
      );
      console.log(
        `[bench] ${ids.length} tenants made in ${Math.round(performance.now() - started)} ms`,
      );
    }
    return made.slice(0, count);
  };
}

/** Gives the tenant a project through workspace itself, as its owner would. */
async function withProject(stack: BenchStack, id: string): Promise<BenchTenant> {
  const token = await stack.mint(id);
  const create = () =>
    fetch(`${stack.oryn.services.workspace.url}/v1/projects`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `bench ${randomUUID().slice(0, 8)}` }),
    });
  let answer = await create();
  // On a machine shared with other work, opening connections for 1,000 new tenants can take
  // longer than workspace's wait for one (a 503 with Retry-After): ten minutes of setup were lost
  // to one such answer. Retried as a client would; at worst the tenant gets a second project.
  for (let attempt = 1; answer.status === 503 && attempt < 5; attempt++) {
    await answer.text();
    const seconds = Number(answer.headers.get("retry-after") ?? 1);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    answer = await create();
  }
  if (answer.status !== 201) {
    throw new Error(`project for ${id} answered ${answer.status}: ${await answer.text()}`);
  }
  const { id: projectId } = (await answer.json()) as { id: string };
  return { id, token, projectPath: `/v1/projects/${projectId}` };
}
