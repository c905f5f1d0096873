import { appendEvents, type EventType, type Logger, type Sql } from "@oryn/shared";
import type { TenantPools } from "../tenants/tenant-pools.ts";

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
 */
export type EventRelay = {
  /** After a write commits: moves the tenant's outbox soon, without holding up the answer. */
  relaySoon(tenantId: string): void;
  /** Moves one tenant's outbox now; the number of events moved. */
  relay(tenantId: string): Promise<number>;
  /** Moves every active tenant's outbox: what a crash between commit and relay left behind. */
  sweep(): Promise<number>;
  /** Waits for relays in flight. */
  settle(): Promise<void>;
};

export function createEventRelay(deps: {
  pools: TenantPools;
  controlPlane: Sql;
  logger: Logger;
}): EventRelay {
  // One relay per tenant at a time in this process; a write during it asks for one more round.
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();

  async function moveBatch(tenantId: string): Promise<number> {
    return deps.pools.run(tenantId, (sql) =>
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

  async function relay(tenantId: string): Promise<number> {
    let moved = 0;
    for (;;) {
      const batch = await moveBatch(tenantId);
      moved += batch;
      if (batch < batchSize) return moved;
    }
  }

  function relaySoon(tenantId: string): void {
    if (running.has(tenantId)) {
      again.add(tenantId);
      return;
    }
    const work = (async () => {
      do {
        again.delete(tenantId);
        try {
          await relay(tenantId);
        } catch (error) {
          // The sweep moves them later; nothing is lost.
          deps.logger.warn({ err: error, tenantId }, "event relay failed; the sweep will retry");
          again.delete(tenantId);
        }
      } while (again.has(tenantId));
    })().finally(() => running.delete(tenantId));
    running.set(tenantId, work);
  }

  return {
    relaySoon,
    relay,
    async sweep() {
      const tenants = await deps.controlPlane<{ id: string }[]>`
        select id from tenants
        where status in ('active', 'restricted') and schema_version >= 6 order by id`;
      let moved = 0;
      for (const { id } of tenants) {
        try {
          moved += await relay(id);
        } catch (error) {
          deps.logger.warn({ err: error, tenantId: id }, "event sweep failed for a tenant");
        }
      }
      return moved;
    },
    async settle() {
      while (running.size > 0) await Promise.all(running.values());
    },
  };
}
