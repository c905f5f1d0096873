import { randomUUID } from "node:crypto";
import type { Answer, jsonCaller } from "@oryn/testing/http";
import type { signUpAndWait } from "@oryn/testing/wait";

export type Call = ReturnType<typeof jsonCaller>;
export type Tenant = Awaited<ReturnType<typeof signUpAndWait>> & { marker: string };
export type Acked = { path: string; field: "name" | "title"; value: string; tenant: Tenant };
type Pending = { path: string; key: string; body: Record<string, string>; tenant: Tenant };
type Timed = Answer & { ms: number };
type Outcome = { kind: "answer"; answer: Timed } | { kind: "hung" | "no-answer"; ms: number };

/**
 * The clients of the workspace fault: writers and readers through the gateway, and what they
 * saw, counted. Every 5xx must be the gateway's problem+json about its upstream; anything else a
 * client could not use is recorded in `unexpected`.
 */
export function writeLoad() {
  /** What the clients saw, all of them together. */
  const seen = {
    requests: 0,
    ok: 0,
    /** 5xx answers, each checked to be the gateway's problem+json about workspace. */
    failures: 0,
    hung: 0,
    /** No HTTP answer at all (the gateway's connection broke): must stay 0, the gateway never died. */
    noAnswer: 0,
    slowestFailureMs: 0,
    statuses: new Map<number, number>(),
    unexpected: [] as string[],
  };

  async function send(
    base: Call,
    method: string,
    path: string,
    options: Parameters<Call>[2],
  ): Promise<Outcome> {
    seen.requests++;
    const started = performance.now();
    try {
      const answer = await base(method, path, options);
      const ms = performance.now() - started;
      seen.statuses.set(answer.status, (seen.statuses.get(answer.status) ?? 0) + 1);
      if (answer.status < 300) seen.ok++;
      if (answer.status >= 500) {
        seen.failures++;
        seen.slowestFailureMs = Math.max(seen.slowestFailureMs, ms);
        const type = answer.headers.get("content-type") ?? "";
        if (
          ![502, 503, 504].includes(answer.status) ||
          !type.startsWith("application/problem+json") ||
          !/^upstream_(unavailable|timeout)$/.test(answer.json?.code)
        ) {
          seen.unexpected.push(
            `${method} ${path}: ${answer.status} ${JSON.stringify(answer.json)}`,
          );
        }
        // Clients back off a little after a failure, as real ones do: refused connections are
        // answered in a millisecond, and without a pause the clients would only spin on 503s.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return { kind: "answer", answer: { ...answer, ms } };
    } catch (error) {
      const ms = performance.now() - started;
      if ((error as Error).name === "TimeoutError") {
        seen.hung++;
        return { kind: "hung", ms };
      }
      seen.noAnswer++;
      return { kind: "no-answer", ms };
    }
  }

  const acked: Acked[] = [];
  const pending: Pending[] = [];
  const leaks: string[] = [];
  let patchesAcked = 0;

  /**
   * One client: POSTs projects and tasks (each with an Idempotency-Key) and PATCHes its project's
   * description with If-Match, one request after another, until `running()` is false.
   */
  async function writer(call: Call, tenant: Tenant, id: string, running: () => boolean) {
    const token = tenant.token;
    // The writer's own project, made before the faults start.
    const own = await call("POST", "/v1/projects", {
      token,
      body: { name: `${tenant.marker} ${id} own` },
    });
    if (own.status !== 201) throw new Error(`own project: ${own.status}`);
    const projectPath = `/v1/projects/${own.json.id}`;
    // The PATCH model: what was last acknowledged, and what was sent after it without an answer.
    const patch = {
      etag: own.headers.get("etag") as string,
      acked: "",
      unanswered: [] as string[],
    };
    let resync = false;
    for (let i = 0; running(); i++) {
      const marker = `${tenant.marker} ${id}#${i} 'q' "dq" ; -- 🚀 ü`;
      if (i % 3 === 2) {
        if (resync) {
          const current = await send(call, "GET", projectPath, { token });
          if (current.kind !== "answer" || current.answer.status !== 200) continue;
          patch.etag = current.answer.headers.get("etag") as string;
          resync = false;
        }
        const description = `rev ${marker}`;
        const outcome = await send(call, "PATCH", projectPath, {
          token,
          headers: { "if-match": patch.etag },
          body: { description },
        });
        if (outcome.kind === "answer" && outcome.answer.status === 200) {
          patch.acked = description;
          patchesAcked++;
          patch.unanswered = [];
          patch.etag = outcome.answer.headers.get("etag") as string;
        } else if (outcome.kind === "answer" && outcome.answer.status === 412) {
          // An earlier unanswered PATCH was applied after all: read the version it made.
          resync = true;
        } else {
          patch.unanswered.push(description);
          resync = true;
        }
        continue;
      }
      const isTask = i % 3 === 1;
      const path = isTask ? `${projectPath}/tasks` : "/v1/projects";
      const field = isTask ? "title" : "name";
      const body = { [field]: marker };
      const key = randomUUID();
      const outcome = await send(call, "POST", path, {
        token,
        headers: { "idempotency-key": key },
        body,
      });
      if (outcome.kind === "answer" && outcome.answer.status === 201) {
        acked.push({ path: `${path}/${outcome.answer.json.id}`, field, value: marker, tenant });
      } else if (outcome.kind === "answer" && outcome.answer.status < 500) {
        seen.unexpected.push(`POST ${path}: ${outcome.answer.status}`);
      } else {
        pending.push({ path, key, body, tenant });
      }
    }
    return { projectPath, patch, tenant };
  }

  /** A reader of one tenant: lists projects and checks none of another tenant's come back. */
  async function reader(call: Call, tenant: Tenant, others: string[]) {
    const outcome = await send(call, "GET", "/v1/projects?limit=50", { token: tenant.token });
    if (outcome.kind === "answer" && outcome.answer.status === 200) {
      for (const project of outcome.answer.json.items as Array<{ name: string }>) {
        if (others.some((marker) => project.name.startsWith(marker))) leaks.push(project.name);
      }
    }
  }

  return {
    seen,
    /** Writes answered 2xx, and (after the retries) the retried ones with their ids. */
    acked,
    /** POSTs that got no usable answer: to be retried with their key and body. */
    pending,
    leaks,
    patchesAcked: () => patchesAcked,
    writer,
    reader,
  };
}
