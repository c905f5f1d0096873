import type { Sql } from "@oryn/shared";
import type Stripe from "stripe";

/**
 * Records a verified event once: the primary key on the event id makes Stripe's retries and
 * duplicates land on the row already there. Processing (with the billing issue) reads from here.
 */
export async function recordStripeEvent(
  sql: Sql,
  event: Stripe.Event,
): Promise<{ duplicate: boolean }> {
  const inserted = await sql`
    insert into stripe_events (id, type, payload)
    values (${event.id}, ${event.type}, ${sql.json(event as never)})
    on conflict (id) do nothing
    returning id`;
  return { duplicate: inserted.length === 0 };
}
