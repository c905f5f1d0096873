import type { Sql } from "@oryn/shared";

/**
 * Samples, every `intervalMs` until stopped, how many sessions workspace (application name
 * `oryn-workspace`) holds in the given databases: the figure a connection budget is judged by,
 * from PostgreSQL's side. `stop` answers the most seen and how many samples were taken.
 */
export function sampleWorkspaceSessions(
  sql: Sql,
  databases: string[],
  intervalMs: number,
): { stop(): Promise<{ most: number; samples: number }> } {
  let sampling = true;
  let most = 0;
  let samples = 0;
  const loop = (async () => {
    while (sampling) {
      const [row] = await sql<{ count: number }[]>`
        select count(*)::int as count from pg_stat_activity
        where application_name = 'oryn-workspace' and datname = any(${databases})`;
      most = Math.max(most, row?.count ?? 0);
      samples++;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return { most, samples };
    },
  };
}
