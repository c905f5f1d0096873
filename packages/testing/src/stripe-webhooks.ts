/**
 * Stripe's side of webhooks: each event sent to an endpoint is delivered until the endpoint
 * answers 2xx, with exponential backoff between attempts, signed anew at each attempt (Stripe's
 * signature carries the attempt's timestamp). Stripe retries for up to three days; tests shrink
 * the schedule to milliseconds. Sending one payload twice makes two deliveries, as Stripe's
 * at-least-once delivery sometimes does.
 */
export type WebhookEndpoint = {
  /** Starts delivering `payload` (an event as `FakeStripe.event` builds it). */
  send(payload: string): void;
  /** Every delivery so far, one per `send`. */
  deliveries: Delivery[];
  /** Resolves when every delivery has had its 2xx (or gave up after `maxAttempts`). */
  settled(): Promise<void>;
  /** Stops resending; deliveries still failing are left as they are. */
  close(): void;
};

export type Delivery = {
  eventId: string;
  attempts: Array<{ status: number | "no answer" }>;
  delivered: boolean;
  gaveUp: boolean;
};

export type EndpointOptions = {
  /** Wait before the first retry; doubles at each one up to `maxRetryMs`. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  maxAttempts?: number;
  /** How long one attempt may take before it counts as failed, as Stripe's own timeout. */
  attemptTimeoutMs?: number;
};

export function webhookEndpoint(
  url: string,
  sign: (payload: string) => Promise<string>,
  options: EndpointOptions = {},
): WebhookEndpoint {
  const firstRetryMs = options.firstRetryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 1_000;
  const maxAttempts = options.maxAttempts ?? 50;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const deliveries: Delivery[] = [];
  const running = new Set<Promise<void>>();
  let closed = false;

  async function attempt(payload: string): Promise<number | "no answer"> {
    try {
      const answer = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": await sign(payload) },
        body: payload,
        signal: AbortSignal.timeout(attemptTimeoutMs),
      });
      await answer.arrayBuffer();
      return answer.status;
    } catch {
      return "no answer";
    }
  }

  async function deliver(delivery: Delivery, payload: string): Promise<void> {
    let wait = firstRetryMs;
    while (!closed) {
      const status = await attempt(payload);
      delivery.attempts.push({ status });
      if (typeof status === "number" && status >= 200 && status < 300) {
        delivery.delivered = true;
        return;
      }
      if (delivery.attempts.length >= maxAttempts) {
        delivery.gaveUp = true;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, maxRetryMs);
    }
  }

  return {
    deliveries,
    send(payload) {
      const delivery: Delivery = {
        eventId: JSON.parse(payload).id,
        attempts: [],
        delivered: false,
        gaveUp: false,
      };
      deliveries.push(delivery);
      const done = deliver(delivery, payload).finally(() => running.delete(done));
      running.add(done);
    },
    async settled() {
      while (running.size > 0) await Promise.all(running);
    },
    close() {
      closed = true;
    },
  };
}
