import type { Sql, TransactionSql } from "@oryn/shared";

/**
 * Holds a transaction open on `sql` and, once `work` has taken its locks, runs `concurrent`,
 * then waits until some other session is blocked behind this transaction (PostgreSQL's
 * `pg_blocking_pids`) before letting `work`'s transaction go on to `afterwards` and commit; answers
 * what `concurrent` came to. A test of two transactions meeting on the same rows, in a set order,
 * without sleeps. `watch` must be a pool with a connection free while the others wait.
 */
export async function whileHolding<T>(
  sql: Sql,
  watch: Sql,
  steps: {
    work: (tx: TransactionSql) => Promise<unknown>;
    concurrent: () => Promise<T>;
    afterwards?: (tx: TransactionSql) => Promise<unknown>;
  },
): Promise<T> {
  let answer: Promise<T> | undefined;
  await sql.begin(async (tx) => {
    const [{ pid } = { pid: 0 }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
    await steps.work(tx);
    answer = steps.concurrent();
    // Kept from an unhandled rejection while we wait: it is awaited below, after the commit.
    answer.catch(() => {});
    for (let waited = 0; ; waited += 20) {
      const [{ blocked } = { blocked: 0 }] = await watch<{ blocked: number }[]>`
        select count(*)::int as blocked from pg_stat_activity
        where ${pid}::int = any(pg_blocking_pids(pid))`;
      if (blocked > 0) break;
      if (waited > 10_000) throw new Error("nothing waited on this transaction's locks");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await steps.afterwards?.(tx);
  });
  if (!answer) throw new Error("concurrent never ran");
  return answer;
}
