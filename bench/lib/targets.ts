/**
 * Issue 17's targets, each read from one `pnpm bench` run's results: the figure, what it is
 * judged against (a bound or a fixed target), and the verdict. Pure: the unit tests feed it
 * results by hand. The scenario result fields each row reads are named in its `reads`.
 */
import type { LoadResult } from "./load.ts";
import { round } from "./stats.ts";
import { perfectCacheBound } from "./zipf-bound.ts";

/** Results by scenario name (unknown names too: a scenario may land before its row does). */
export type Results = Record<string, Record<string, unknown> | undefined>;

export type Verdict = "pass" | "miss" | "not measured";

export type TargetRow = {
  /** Short, stable name (the account sections of docs/benchmarks.md are keyed by it). */
  id: string;
  target: string;
  /** The judged figure, or undefined when a scenario it needs did not run (or failed). */
  figure: number | undefined;
  /** What the figure is made of, e.g. "0.396 new sessions per answer ÷ bound 0.307". */
  from: string;
  bound: string;
  verdict: Verdict;
  /** The scenario result fields this row reads. */
  reads: string;
};

const load = (result: Record<string, unknown> | undefined, ...path: string[]) => {
  let value: unknown = result;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  return value as LoadResult | undefined;
};
const num = (value: unknown) =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
const cpu = (result: Record<string, unknown> | undefined, process: string) =>
  num(load(result, "load")?.cpuPerAnswer?.[process]);
const shown = (value: number | undefined, digits = 2) =>
  value === undefined ? "?" : `${round(value, digits)}`;

/** One row per target of issue 17, in the order. */
export function targetRows(results: Results): TargetRow[] {
  const rows: TargetRow[] = [];
  const add = (
    row: Omit<TargetRow, "verdict" | "figure"> & { figure: number | undefined },
    holds: (figure: number) => boolean,
  ) => {
    // Judged as printed: to two decimals.
    const figure = row.figure === undefined ? undefined : round(row.figure, 2);
    rows.push({
      ...row,
      figure,
      verdict: figure === undefined ? "not measured" : holds(figure) ? "pass" : "miss",
    });
  };

  // One process's CPU per answer in one scenario over another's in another, at most 3 times.
  const cpuRatio = (
    id: string,
    target: string,
    [scenario, process]: [string, string],
    [peerScenario, peer]: [string, string],
  ) => {
    const own = cpu(results[scenario], process);
    const theirs = cpu(results[peerScenario], peer);
    add(
      {
        id,
        target,
        figure: ratio(own, theirs),
        from: `${shown(own, 0)} µs ÷ ${shown(theirs, 0)} µs`,
        bound: "≤ 3",
        reads: `${scenario}.load.cpuPerAnswer.${process}, ${peerScenario}.load.cpuPerAnswer.${peer}`,
      },
      (v) => v <= 3,
    );
  };
  cpuRatio(
    "gateway-cpu",
    "gateway CPU per proxied answer ÷ nginx CPU per proxied answer",
    ["gateway", "gateway"],
    ["nginx", "nginx"],
  );
  cpuRatio(
    "workspace-cpu",
    "workspace CPU per answer ÷ bare hono endpoint CPU per answer",
    ["workspace", "workspace"],
    ["ceiling", "ceiling"],
  );

  const gatewayOk = num(load(results.gateway, "load")?.okPerSecond);
  const workspaceOk = num(load(results.workspace, "load")?.okPerSecond);
  add(
    {
      id: "gateway-throughput",
      target: "throughput through the gateway ÷ workspace direct",
      figure: ratio(gatewayOk, workspaceOk),
      from: `${shown(gatewayOk, 0)} ÷ ${shown(workspaceOk, 0)} 2xx/s`,
      bound: "≥ 0.75",
      reads: "gateway.load.okPerSecond, workspace.load.okPerSecond",
    },
    (v) => v >= 0.75,
  );

  const many = results["many-tenants"];
  const manyTenants = num(many?.tenants);
  const manyBudget = num(many?.connectionBudget);
  const manyBound =
    manyTenants === undefined || manyBudget === undefined
      ? undefined
      : perfectCacheBound(manyBudget, manyTenants);
  const manyOpened = num(
    (many?.zipf as { connections?: { openedPerAnswer?: number } } | undefined)?.connections
      ?.openedPerAnswer,
  );
  add(
    {
      id: "many-tenants-sessions",
      target: `${manyTenants ?? "1,000"} tenants, Zipf s=1, budget ${manyBudget ?? 100}: new sessions per answer ÷ perfect-cache bound`,
      figure: manyBound === 0 ? undefined : ratio(manyOpened, manyBound),
      from: `${shown(manyOpened, 3)} new sessions per answer ÷ bound ${shown(manyBound, 3)} (1 - H(${manyBudget ?? "B"})/H(${manyTenants ?? "N"}))`,
      bound: "≤ 1.10",
      reads:
        "many-tenants.zipf.connections.openedPerAnswer, many-tenants.tenants, many-tenants.connectionBudget",
    },
    (v) => v <= 1.1,
  );

  const fit = results["many-tenants-fit"];
  const fitZipf = num(load(fit, "zipf", "load")?.okPerSecond);
  const fitSingle = num(load(fit, "single", "load")?.okPerSecond);
  add(
    {
      id: "many-tenants-fit",
      target: `${num(fit?.tenants) ?? "1,000"} tenants, a budget that fits them all (${num(fit?.connectionBudget) ?? "≥ tenants"}), after warm-up: Zipf ÷ one tenant (throughput)`,
      figure: ratio(fitZipf, fitSingle),
      from: `${shown(fitZipf, 0)} ÷ ${shown(fitSingle, 0)} 2xx/s`,
      bound: "≥ 0.85",
      reads: "many-tenants-fit.zipf.load.okPerSecond, many-tenants-fit.single.load.okPerSecond",
    },
    (v) => v >= 0.85,
  );

  // Written by the replicas scenario (tenant affinity across two workspaces): its own figure and
  // the bound it was judged against (1 - H(200)/H(1000) for two budgets of 100).
  const replicas = results.replicas;
  const replicaOpened = num(replicas?.newSessionsPerAnswer);
  const replicaBound = num(replicas?.bound);
  add(
    {
      id: "replicas-sessions",
      target:
        "1,000 tenants, two workspace replicas (BENCH_CONNECTION_BUDGET each, 100 by default): new sessions per answer ÷ bound for both budgets",
      figure: replicaBound === 0 ? undefined : ratio(replicaOpened, replicaBound),
      from: `${shown(replicaOpened, 3)} new sessions per answer ÷ bound ${shown(replicaBound, 3)}`,
      bound: "≤ 1.15",
      reads: "replicas.newSessionsPerAnswer, replicas.bound",
    },
    (v) => v <= 1.15,
  );

  const signup = results.provisioning;
  const tenantsPerSecond = num(signup?.tenantsPerSecond);
  const hashesPerSecond = num(
    (signup?.argon2id as { hashesPerSecond?: number } | undefined)?.hashesPerSecond,
  );
  add(
    {
      id: "signups",
      target: `${num(signup?.concurrency) ?? 200} concurrent signups: tenants active per second ÷ argon2id hashes per second on this machine`,
      figure: ratio(tenantsPerSecond, hashesPerSecond),
      from: `${shown(tenantsPerSecond, 1)} ÷ ${shown(hashesPerSecond, 1)} per second`,
      bound: "≥ 0.8",
      reads: "provisioning.tenantsPerSecond, provisioning.argon2id.hashesPerSecond",
    },
    (v) => v >= 0.8,
  );

  const rejected = num(results.rejected?.rejectedPerSecond);
  add(
    {
      id: "rejected",
      target: "429 answers/s ÷ allowed answers/s",
      figure: ratio(rejected, gatewayOk),
      from: `${shown(rejected, 0)} ÷ ${shown(gatewayOk, 0)} per second`,
      bound: "≥ 4 (hold)",
      reads: "rejected.rejectedPerSecond, gateway.load.okPerSecond",
    },
    (v) => v >= 4,
  );

  const fleet = results.fleet as
    | {
        tenantDatabases?: number;
        migrateAll?: { wallMs?: number; failed?: number };
        noopRerun?: { wallMs?: number };
      }
    | undefined;
  const migrateMs = num(fleet?.migrateAll?.wallMs);
  const noopMs = num(fleet?.noopRerun?.wallMs);
  add(
    {
      id: "fleet",
      target: `fleet migration of ${fleet?.tenantDatabases ?? "1,200"} databases / no-op re-run (seconds)`,
      // Judged on both; the figure is the migration's seconds, the no-op's beside it.
      figure: noopMs === undefined || migrateMs === undefined ? undefined : migrateMs / 1000,
      from: `${shown(migrateMs === undefined ? undefined : migrateMs / 1000, 1)} s / ${shown(noopMs === undefined ? undefined : noopMs / 1000, 1)} s, ${fleet?.migrateAll?.failed ?? "?"} failed`,
      bound: "≤ 60 s / ≤ 5 s (hold)",
      reads: "fleet.migrateAll.wallMs, fleet.noopRerun.wallMs, fleet.migrateAll.failed",
    },
    (v) => v <= 60 && (noopMs ?? Infinity) <= 5000 && fleet?.migrateAll?.failed === 0,
  );
  return rows;
}

/** A figure the run also reports, judged against nothing (or an older target, as said). */
export type ExtraFigure = { figure: string; measured: string };

/** The figures kept from before issue 17, below the target table. */
export function extraFigures(results: Results): ExtraFigure[] {
  const rows: ExtraFigure[] = [];
  const add = (figure: string, value: number | undefined, text = shown(value)) => {
    if (value !== undefined) rows.push({ figure, measured: text });
  };
  const ok = (name: string) => num(load(results[name], "load")?.okPerSecond);
  add(
    "gateway CPU per proxied answer ÷ bare node:http + undici proxy's (the Node floor)",
    ratio(cpu(results.gateway, "gateway"), cpu(results["proxy-floor"], "proxy floor")),
  );
  add(
    "workspace CPU per answer ÷ bare hono + postgres.js endpoint's (the database floor)",
    ratio(cpu(results.workspace, "workspace"), cpu(results["database-floor"], "database floor")),
  );
  add("gateway path ÷ nginx path (throughput)", ratio(ok("gateway"), ok("nginx")));
  add("gateway path ÷ bare hono endpoint (throughput)", ratio(ok("gateway"), ok("ceiling")));
  const many = results["many-tenants"];
  const manyZipf = load(many, "zipf", "load");
  const manySingle = load(many, "single", "load");
  add(
    "many tenants, budget 100: Zipf ÷ one tenant (throughput), most connections of budget",
    ratio(num(manyZipf?.okPerSecond), num(manySingle?.okPerSecond)),
    `${shown(ratio(num(manyZipf?.okPerSecond), num(manySingle?.okPerSecond)))}, ${many?.mostConnections} of ${many?.connectionBudget}`,
  );
  add(
    "many tenants, budget 100: gateway CPU per answer, Zipf ÷ one tenant",
    ratio(num(manyZipf?.cpuPerAnswer?.gateway), num(manySingle?.cpuPerAnswer?.gateway)),
  );
  const fitSessions = num(
    (results["many-tenants-fit"]?.zipf as { connections?: { openedPerAnswer?: number } })
      ?.connections?.openedPerAnswer,
  );
  add(
    "many tenants, budget fits all: new sessions per answer (Zipf)",
    fitSessions,
    shown(fitSessions, 3),
  );
  const signup = results.provisioning as
    | {
        concurrency: number;
        client: { medianMs: number; p95Ms: number };
        server: { medianMs: number; p95Ms: number };
      }
    | undefined;
  add(
    `signup-to-active, median / p95, ${signup?.concurrency ?? 200} concurrent (client; server), ms`,
    num(signup?.client?.medianMs),
    `${signup?.client?.medianMs} / ${signup?.client?.p95Ms}; ${signup?.server?.medianMs} / ${signup?.server?.p95Ms}`,
  );
  add("workspace CPU per POST, webhooks on ÷ off", num(results.webhooks?.workspaceCpuRatio));
  add(
    "webhook events delivered per second, end to end",
    num(results.webhooks?.deliveredPerSecond),
    shown(num(results.webhooks?.deliveredPerSecond), 0),
  );
  return rows;
}

const line = (cells: unknown[]) => `| ${cells.join(" | ")} |`;

/** The verdict table as markdown: what `pnpm bench` prints and docs/benchmarks.md carries. */
export function targetsMarkdown(rows: TargetRow[]): string {
  return [
    line(["target (issue 17)", "figure", "from", "bound / target", "verdict"]),
    line(["---", "---", "---", "---", "---"]),
    ...rows.map((row) => line([row.target, row.figure ?? "-", row.from, row.bound, row.verdict])),
  ].join("\n");
}

/** The other figures as markdown. */
export function extraFiguresMarkdown(rows: ExtraFigure[]): string {
  return [
    line(["figure", "measured"]),
    line(["---", "---"]),
    ...rows.map((row) => line([row.figure, row.measured])),
  ].join("\n");
}
