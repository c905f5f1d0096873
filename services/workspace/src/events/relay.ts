import { randomUUID } from "node:crypto";
import { appendEvents, type EventType, type Logger, type Sql } from "@oryn/shared";
import type { RunOptions, TenantPools } from "../tenants/tenant-pools.ts";

type OutboxRow = {
  id: string;
  type: EventType;
  occurredAt: Date;
  data: unknown;
  previous: unknown;
};

/** Events moved per round trip; a longer outbox takes several. */
const batchSize = 500;

/**
 * Moves tenants' outboxes into the control plane's event log. Workspace does it, not the
 * webhooks service: workspace already holds the tenant databases' credentials, while the
 * webhooks service, the one process that calls addresses tenants chose, keeps no way into a
 * tenant database at all.
 *
 * A write is wrapped in `writing`: the tenant is marked in the control plane before the write
 * (`event_outbox_marks`, at most once per `markSeconds` per process), and its outbox is relayed
 * after. The sweep visits only marked tenants, so what a crash strands between a commit and its
 * relay is found without opening a connection to every tenant database each period.
 *
 * Each mark names the process that made it (`marked_by`), and a process's sweep visits only its
 * own marks, those with no maker, and those older than three periods. Workspace replicas each
 * serve their share of tenants (the gateway picks one per tenant), and a sweep of every mark by
 * every replica opened a connection to each written tenant from each replica within a period.
 * A live maker sweeps its marks every period and drops each once it is older than two periods
 * with its outbox empty; a mark older than three is one its maker no longer sweeps (it died, was
 * restarted with a new id, or cannot reach that tenant), and any process may take it over.
 * Such a mark, or one of no process, is claimed before it is relayed: one statement sets its
 * maker to this process and its time to now, only if it is still as the sweep read it. After
 * restarts every replica's sweep finds the same orphans at once, and each relaying all of them
 * opened a session to every orphaned tenant from every replica (the work times the replicas,
 * against the gateway's one replica per tenant); with the claim one sweep wins each and the
 * others skip it. The claim is a mark made now: the winner sweeps it as its own and the others
 * leave it for three periods; a write's mark since the read (its maker coming back) fails the
 * claim and stays its maker's. A process never claims its own marks: one it cannot relay must
 * age into an orphan for the others.
 * Who may drop a mark never depends on who made it, only on its age and the outbox behind it,
 * so two processes sharing an id, or sweeping the same mark, cost connections, not events.
 */
export type EventRelay = {
  /** This process's id in `event_outbox_marks.marked_by`. */
  readonly processId: string;
  /** Marks the tenant, runs the write, then moves the tenant's outbox without holding it up. */
  writing<T>(tenantId: string, write: () => Promise<T>): Promise<T>;
  /** Marks the tenant as possibly holding events (before a write that records some). */
  mark(tenantId: string): Promise<void>;
  /** After a write commits: moves the tenant's outbox soon, without holding up the answer. */
  relaySoon(tenantId: string): void;
  /** Moves one tenant's outbox now; the number of events moved. */
  relay(tenantId: string, options?: RunOptions): Promise<number>;
  /**
   * Moves the outbox of every tenant this process marked, and of those marked by no process or
   * by one that stopped sweeping them (older than three times `markSeconds`), each of the latter
   * once this process has claimed its mark (another sweep may win it): what a crash between
   * commit and relay left behind, or a relay that failed. A mark older than twice
   * `markSeconds` whose outbox is then empty is removed (a younger one may be another process's,
   * which does not mark again meanwhile). Its own fresh marks of tenants whose relay after its
   * writes succeeded are left for the visit when they are old. Its connections are background
   * work for the pools: not counted as uses of the tenant.
   */
  sweep(): Promise<number>;
  /** Waits for relays in flight. */
  settle(): Promise<void>;
};

export function createEventRelay(deps: {
  pools: TenantPools;
  controlPlane: Sql;
  logger: Logger;
  /** How long this process trusts its own mark of a tenant: the sweep's period. */
  markSeconds: number;
  /** This process's id in the marks it makes; by default a random UUID drawn at start. */
  processId?: string;
}): EventRelay {
  const processId = deps.processId ?? randomUUID();
  // One relay per tenant at a time in this process; a write during it asks for one more round.
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  // Tenants this process marked, and when: a mark is written again once it is this old.
  const marked = new Map<string, number>();
  // Tenants whose last relay after this process's own writes ended without error, with no mark
  // since: their outbox was moved as far as this process knows, so its sweep need not visit them
  // until their mark is old (see `sweep`).
  const relayed = new Set<string>();

  async function mark(tenantId: string): Promise<void> {
    relayed.delete(tenantId);
    const at = marked.get(tenantId);
    if (at !== undefined && Date.now() - at < deps.markSeconds * 1000) return;
    const now = Date.now();
    await deps.controlPlane`
      insert into event_outbox_marks (tenant_id, marked_by) values (${tenantId}, ${processId})
      on conflict (tenant_id) do update
      set marked_at = clock_timestamp(), marked_by = excluded.marked_by`;
    marked.set(tenantId, now);
  }

  async function moveBatch(tenantId: string, options?: RunOptions): Promise<number> {
    const run = <T>(work: (sql: Sql) => Promise<T>) => deps.pools.run(tenantId, work, options);
    return run((sql) =>
      sql.begin(async (tx) => {
        // Deleted first, inside this transaction: the row locks make a second relay (another
        // workspace replica) wait and then find them gone. The log commits before this
        // transaction does: a crash in between leaves them here, the next relay moves them again,
        // and the log skips ids it already has.
        const deleted = await tx<(OutboxRow & { position: string })[]>`
          delete from event_outbox where position in (
            select position from event_outbox order by position limit ${batchSize})
          returning position::text, id, type, occurred_at, data, previous`;
        if (deleted.length === 0) return 0;
        const rows = deleted.sort((a, b) => Number(BigInt(a.position) - BigInt(b.position)));
        await deps.controlPlane.begin((cp) =>
          appendEvents(
            cp,
            tenantId,
            rows.map((row) => ({
              id: row.id,
              type: row.type,
              occurredAt: row.occurredAt,
              data: row.data,
              ...(row.previous === null ? {} : { previous: row.previous }),
            })),
          ),
        );
        return rows.length;
      }),
    );
  }

  async function relay(tenantId: string, options?: RunOptions): Promise<number> {
    let moved = 0;
    for (;;) {
      const batch = await moveBatch(tenantId, options);
      moved += batch;
      if (batch < batchSize) return moved;
    }
  }

  async function outboxEmpty(tenantId: string): Promise<boolean> {
    const [row] = await deps.pools.run(
      tenantId,
      (sql) => sql<{ pending: boolean }[]>`select exists (select from event_outbox) as pending`,
      { background: true },
    );
    return row?.pending === false;
  }

  function relaySoon(tenantId: string): void {
    if (running.has(tenantId)) {
      again.add(tenantId);
      return;
    }
    const work = (async () => {
      let failed = false;
      do {
        again.delete(tenantId);
        try {
          await relay(tenantId);
          failed = false;
        } catch (error) {
          // The sweep moves them later; nothing is lost.
          deps.logger.warn({ err: error, tenantId }, "event relay failed; the sweep will retry");
          again.delete(tenantId);
          failed = true;
        }
      } while (again.has(tenantId));
      if (!failed) relayed.add(tenantId);
    })().finally(() => running.delete(tenantId));
    running.set(tenantId, work);
  }

  return {
    processId,
    async writing(tenantId, write) {
      await mark(tenantId);
      const started = Date.now();
      const result = await write();
      // A write that outlived the mark's trust may have committed after another process's sweep
      // found the outbox empty and dropped the mark: marked again before the relay, so only a
      // crash in the instant between the commit and this line could strand its events (until the
      // tenant's next write).
      if (Date.now() - started >= deps.markSeconds * 1000) {
        marked.delete(tenantId);
        await mark(tenantId).catch(() => undefined);
      }
      relaySoon(tenantId);
      return result;
    },
    mark,
    relaySoon,
    relay,
    async sweep() {
      const started = Date.now();
      const stale = started - deps.markSeconds * 1000;
      for (const [tenantId, at] of marked) if (at < stale) marked.delete(tenantId);
      // Marks of tenants whose database is gone have nothing left to move.
      await deps.controlPlane`
        delete from event_outbox_marks m using tenants t
        where t.id = m.tenant_id and t.status = 'deleted'`;
      // Its own marks, marks of no process (made before marks named one), and orphans: a mark
      // its maker would have dropped by now were it still sweeping it.
      const marks = await deps.controlPlane<
        {
          tenantId: string;
          markedAt: string;
          markedBy: string | null;
          mine: boolean;
          old: boolean;
        }[]
      >`
        select m.tenant_id, m.marked_at::text, m.marked_by,
               coalesce(m.marked_by = ${processId}, false) as mine,
               m.marked_at < now() - make_interval(secs => ${2 * deps.markSeconds}) as old
        from event_outbox_marks m join tenants t on t.id = m.tenant_id
        where t.status in ('active', 'restricted')
          and (m.marked_by = ${processId} or m.marked_by is null
               or m.marked_at < now() - make_interval(secs => ${3 * deps.markSeconds}))
        order by m.tenant_id`;
      // A tenant whose mark another process has made since ours (its traffic moved there) is
      // that process's to sweep: this one's trust in its own mark ends, so that its next write
      // there, should the traffic come back, marks the tenant as its own again. Only entries from
      // before this sweep read the marks: a newer one may not show in what it read.
      const own = new Set(marks.filter((mark) => mark.mine).map((mark) => mark.tenantId));
      for (const [tenantId, at] of marked) {
        if (at < started && !own.has(tenantId)) marked.delete(tenantId);
      }
      // Only its own marks are skipped for it: the rest would be an entry per tenant ever written.
      for (const tenantId of relayed) if (!own.has(tenantId)) relayed.delete(tenantId);
      let moved = 0;
      for (const { tenantId, markedAt, markedBy, mine, old } of marks) {
        // Its own fresh mark of a tenant whose relay after its writes succeeded: the outbox holds
        // nothing this process knows of. Only another process's write under this mark (it trusted
        // its own older one) and then its crash could have left events there, and the visit
        // when the mark is old finds those (or this process's next write's relay moves them).
        // A tenant written once is visited once, not each period until its mark is old: each
        // visit of a tenant without a connection is a new PostgreSQL session.
        if (mine && !old && relayed.has(tenantId) && !running.has(tenantId)) continue;
        let done: boolean;
        // The mark as it is once this process holds it: what the drop below must find unchanged.
        let held = markedAt;
        try {
          // An orphan or a mark of no process: every replica's sweep may have read it. Claimed
          // as read, so one of them relays it and the rest skip it (see `EventRelay`). Timed
          // now, the mark only grows younger: no maker's trust in its own mark is cut short.
          if (!mine) {
            const [claimed] = await deps.controlPlane<{ markedAt: string }[]>`
              update event_outbox_marks set marked_by = ${processId}, marked_at = clock_timestamp()
              where tenant_id = ${tenantId} and marked_at::text = ${markedAt}
                and marked_by is not distinct from ${markedBy}
              returning marked_at::text`;
            if (!claimed) continue;
            held = claimed.markedAt;
          }
          moved += await relay(tenantId, { background: true });
          // A relay ends at a batch that found fewer rows than it asked for, and a batch that
          // waited on another relay's locks (a write's relay, another replica's sweep) finds
          // them gone: that other relay may still have batches to go, and may not finish. Rows
          // it has not committed the move of are still visible here, so the mark stays until a
          // look finds the outbox empty.
          done = old && (await outboxEmpty(tenantId));
        } catch (error) {
          deps.logger.warn({ err: error, tenantId }, "event sweep failed for a tenant");
          continue;
        }
        // Only the mark as read, or as claimed: a newer one (a write since) stays. Compared as
        // text, to the microsecond: a timestamptz parameter would go through a JS Date, to the
        // millisecond. A claimed mark goes at once when it was old as read: the claim's own
        // time is trusted by no write (any write's mark changes it).
        if (done) {
          await deps.controlPlane`
            delete from event_outbox_marks
            where tenant_id = ${tenantId} and marked_at::text = ${held}`;
        }
      }
      return moved;
    },
    async settle() {
      while (running.size > 0) await Promise.all(running.values());
    },
  };
}
