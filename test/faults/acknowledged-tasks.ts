import type { Oryn } from "@oryn/testing/processes";
import { eventually } from "@oryn/testing/wait";
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

/** What a tenant of `taskLoad` sends in a round: a task written, its tasks read, its tenant read. */
export type LoadKind = "write" | "read" | "tenant";

type Counted = ReturnType<typeof countedCaller>["call"];

/**
 * Load through the gateway while a fault comes and goes: each tenant sends one request after
 * another, 50 ms apart, `kinds` in turn (a write titles its task `<tenant id> <round>` and, once
 * answered 201, adds it to `acknowledged`), until `stop` or 150 s (so a failing test does not
 * leave it sending). `record` gets an answer with the phase it was sent in only when `phase()`
 * still says so: a request racing a stop or a start says little.
 */
export function taskLoad<T extends TaskWriter, P>(
  call: Counted,
  tenants: T[],
  kinds: readonly LoadKind[],
  phase: () => P,
  record: (
    tenant: T,
    seen: { phase: P; kind: LoadKind; answer: Awaited<ReturnType<Counted>> },
  ) => void,
) {
  let loading = true;
  const deadline = Date.now() + 150_000;
  const loads = tenants.map(async (tenant) => {
    for (let round = 0; loading && Date.now() < deadline; round++) {
      const path = `/v1/projects/${tenant.projectId}/tasks`;
      const title = `${tenant.tenantId} ${round}`;
      const kind = kinds[round % kinds.length] as LoadKind;
      const sentIn = phase();
      const answer =
        kind === "write"
          ? await call("POST", path, { token: tenant.token, body: { title } })
          : kind === "read"
            ? await call("GET", `${path}?limit=1`, { token: tenant.token })
            : await call("GET", "/v1/tenant", { token: tenant.token });
      if (answer.status === 201) tenant.acknowledged.push(title);
      if (phase() === sentIn) record(tenant, { phase: sentIn, kind, answer });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  return {
    stop: async () => {
      loading = false;
      await Promise.all(loads);
    },
  };
}

/** Prints the end of each service's output that exited: a fault's failure shows only what clients saw. */
export function reportExited(oryn: Oryn | undefined) {
  for (const service of Object.values(oryn?.services ?? {})) {
    if (service.process.exitCode !== null || service.process.signalCode !== null) {
      console.error(`${service.name} exited:\n${service.output().slice(-4000)}`);
    }
  }
}

/**
 * A server stopped and started again `stops` times under `load`, which is stopped at the end
 * whatever happens. After 1.5 s of load, each round: `outage` (it sets the load's phase, stops the
 * server, does what the test does while it is down, and starts it again), then phase `back` until
 * `servedAgain`'s answers are all 200 or 201 (at most 30 s), then phase `before` for 2 s of load on
 * a recovered server before the next stop (and the end). Returns each round's milliseconds from
 * the stop to the start (`outageMs`) and from the start to all served (`recoveryMs`).
 */
export async function restartRounds(
  load: { stop(): Promise<void> },
  options: {
    stops: number;
    phase(phase: "back" | "before"): void;
    outage(round: number): Promise<void>;
    servedAgain(): Promise<{ status: number }[]>;
  },
): Promise<{ outageMs: number[]; recoveryMs: number[] }> {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const outageMs: number[] = [];
  const recoveryMs: number[] = [];
  try {
    await sleep(1_500);
    for (let round = 0; round < options.stops; round++) {
      const stoppedAt = Date.now();
      await options.outage(round);
      options.phase("back");
      const startedAt = Date.now();
      outageMs.push(startedAt - stoppedAt);
      await eventually(
        options.servedAgain,
        (answers) => answers.every((answer) => answer.status === 200 || answer.status === 201),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      recoveryMs.push(Date.now() - startedAt);
      options.phase("before");
      await sleep(2_000);
    }
  } finally {
    await load.stop();
  }
  return { outageMs, recoveryMs };
}
