import type { AppEnv, EventType, TransactionSql } from "@oryn/shared";
import type { Context } from "hono";
import { recordTenantEvent } from "../events/outbox.ts";
import { once } from "../idempotency/idempotency.ts";
import { etagOf } from "./etag.ts";
import { idempotencyOf, setAnswerHeaders } from "./request.ts";
import { writeForCaller } from "./write-as.ts";

/**
 * The write of a POST that makes one object, as workspace's create routes all do it: in the
 * caller's tenant transaction and at most once per Idempotency-Key (`key`, bound to `body`),
 * `create` makes the object and `event` is recorded with it. The answer's Location (`location`)
 * and ETag go on the response, a replay's too; the object (or the stored one) is returned for
 * the route's 201.
 */
export async function createOnce<T extends { id: string; version: number }>(
  c: Context<AppEnv>,
  deps: Parameters<typeof writeForCaller>[1],
  create: (tx: TransactionSql) => Promise<T>,
  request: {
    key: string | undefined;
    body: unknown;
    event: EventType;
    location(created: T): string;
  },
): Promise<T> {
  const idempotency = idempotencyOf(c, request.key, request.body);
  const answer = await writeForCaller(c, deps, (tx) =>
    once(tx, idempotency, async () => {
      const created = await create(tx);
      await recordTenantEvent(tx, request.event, created);
      return {
        status: 201,
        body: created,
        headers: { location: request.location(created), etag: etagOf(created.version) },
      };
    }),
  );
  setAnswerHeaders(c, answer);
  return answer.body;
}
