import type { countedCaller } from "./counted-calls.ts";

/** A tenant of a fault test that titles its tasks `<tenant id> <anything>`. */
export type TaskWriter = {
  tenantId: string;
  token: string;
  projectId: string;
  /** Titles of tasks whose creation was answered 201. */
  acknowledged: string[];
};

/**
 * Reads every task of each tenant's project, page by page: `lost` counts acknowledged titles
 * missing, `leaks` titles that are not the tenant's own.
 */
export async function lostAndLeakedTasks(
  call: ReturnType<typeof countedCaller>["call"],
  tenants: TaskWriter[],
): Promise<{ lost: number; leaks: number }> {
  let lost = 0;
  let leaks = 0;
  for (const tenant of tenants) {
    const titles: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        "GET",
        `/v1/projects/${tenant.projectId}/tasks?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { token: tenant.token },
      );
      if (page.status !== 200) throw new Error(`listing tasks answered ${page.status}`);
      titles.push(...(page.json.items as { title: string }[]).map((item) => item.title));
      cursor = page.json.nextCursor;
    } while (cursor);
    const present = new Set(titles);
    lost += tenant.acknowledged.filter((title) => !present.has(title)).length;
    leaks += titles.filter((title) => !title.startsWith(`${tenant.tenantId} `)).length;
  }
  return { lost, leaks };
}
