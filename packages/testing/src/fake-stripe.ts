import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { type EndpointOptions, type WebhookEndpoint, webhookEndpoint } from "./stripe-webhooks.ts";

/**
 * A stand-in for the parts of Stripe's API billing calls, on a local port (Stripe itself cannot
 * be reached from test machines). Objects have Stripe's shapes as the stripe client of
 * `package.json` reads them (API 2026-10-28: the billing period lives on subscription items).
 * Tests steer it: set a customer's subscription, make it fail for a while, count calls, and
 * build events signed with Stripe's real scheme.
 */
export type FakeStripe = {
  url: string;
  prices: { pro: string; business: string };
  /** What billing should be given: STRIPE_API_BASE, STRIPE_SECRET_KEY and the price ids. */
  env(): Record<string, string>;
  customers: Map<string, Record<string, any>>;
  /** Checkout and portal sessions as created, with the form parameters billing sent. */
  checkoutSessions: Array<{ id: string; params: Record<string, string> }>;
  portalSessions: Array<{ id: string; params: Record<string, string> }>;
  calls: Array<{ method: string; path: string; status: number; idempotencyKey?: string }>;
  /** Calls answered 2xx whose path starts with `prefix` (and method matches, if given). */
  count(prefix: string, method?: string): number;
  /** Creates the customer's subscription, or changes the one it has. */
  setSubscription(
    customerId: string,
    state: { plan?: "pro" | "business"; status: string; cancelAtPeriodEnd?: boolean },
  ): Record<string, any>;
  /** Starts another subscription beside the ones the customer has (e.g. after a cancel). */
  addSubscription(
    customerId: string,
    state: { plan: "pro" | "business"; status: string },
  ): Record<string, any>;
  subscriptionsOf(customerId: string): Array<Record<string, any>>;
  /** While set, every API call is answered with this status (500, 503, 429). */
  failWith(status: number | undefined): void;
  /**
   * The next call to `path` is answered `ms` late, with what was true when it arrived: a slow
   * read that returns an older state than Stripe holds by the time it lands.
   */
  delayNext(path: string, ms: number): void;
  /** An event as Stripe would send it, around a copy of `object` as it is now. */
  event(type: string, object: Record<string, any>, options?: { created?: number }): string;
  /** A Stripe-Signature header for `payload`, with the real scheme. */
  sign(payload: string, secret: string, options?: { timestamp?: number }): Promise<string>;
  /**
   * A webhook endpoint Stripe delivers events to as Stripe does: resent with backoff until a
   * 2xx, signed with `secret` at each attempt. Closed with the fake.
   */
  endpoint(url: string, secret: string, options?: EndpointOptions): WebhookEndpoint;
  close(): Promise<void>;
};

const apiVersion = "2026-10-28.endive";
const signer = new Stripe("sk_test_signer_only");

function id(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const prices = { pro: "price_fake_pro", business: "price_fake_business" };
  const customers = new Map<string, Record<string, any>>();
  const subscriptions = new Map<string, Record<string, any>>();
  const idempotent = new Map<string, { status: number; body: unknown }>();
  const checkoutSessions: FakeStripe["checkoutSessions"] = [];
  const portalSessions: FakeStripe["portalSessions"] = [];
  const calls: FakeStripe["calls"] = [];
  let failing: number | undefined;
  const endpoints: WebhookEndpoint[] = [];
  const delays = new Map<string, number>();

  function priceObject(plan: "pro" | "business") {
    return {
      id: prices[plan],
      object: "price",
      active: true,
      currency: "usd",
      product: `prod_fake_${plan}`,
      recurring: { interval: "month", interval_count: 1 },
      type: "recurring",
      unit_amount: plan === "pro" ? 2900 : 9900,
    };
  }

  function newSubscription(customerId: string, plan: "pro" | "business", status: string) {
    const subscriptionId = id("sub");
    const start = now();
    const subscription = {
      id: subscriptionId,
      object: "subscription",
      customer: customerId,
      status,
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: status === "canceled" ? start : null,
      ended_at: status === "canceled" ? start : null,
      created: start,
      start_date: start,
      currency: "usd",
      collection_method: "charge_automatically",
      latest_invoice: null,
      livemode: false,
      metadata: {},
      items: {
        object: "list",
        data: [
          {
            id: id("si"),
            object: "subscription_item",
            price: priceObject(plan),
            quantity: 1,
            subscription: subscriptionId,
            current_period_start: start,
            current_period_end: start + 30 * 24 * 3600,
          },
        ],
        has_more: false,
        url: `/v1/subscription_items?subscription=${subscriptionId}`,
      },
    };
    subscriptions.set(subscriptionId, subscription);
    return subscription;
  }

  function subscriptionsOf(customerId: string) {
    return [...subscriptions.values()].filter((s) => s.customer === customerId);
  }

  function setSubscription(
    customerId: string,
    state: { plan?: "pro" | "business"; status: string; cancelAtPeriodEnd?: boolean },
  ) {
    if (!customers.has(customerId)) throw new Error(`fake stripe: no customer ${customerId}`);
    const current = subscriptionsOf(customerId).at(-1);
    if (!current) return newSubscription(customerId, state.plan ?? "pro", state.status);
    current.status = state.status;
    if (state.plan) current.items.data[0].price = priceObject(state.plan);
    if (state.cancelAtPeriodEnd !== undefined)
      current.cancel_at_period_end = state.cancelAtPeriodEnd;
    if (state.status === "canceled") current.canceled_at = current.ended_at = now();
    return current;
  }

  function form(body: string): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(body));
  }

  function metadataOf(params: Record<string, string>, prefix = "metadata"): Record<string, string> {
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      const match = key.match(new RegExp(`^${prefix}\\[([^\\]]+)\\]$`));
      if (match?.[1]) metadata[match[1]] = value;
    }
    return metadata;
  }

  function route(method: string, url: URL, params: Record<string, string>): [number, unknown] {
    const path = url.pathname;
    if (method === "POST" && path === "/v1/customers") {
      const customer = {
        id: id("cus"),
        object: "customer",
        created: now(),
        email: params.email ?? null,
        name: params.name ?? null,
        description: null,
        livemode: false,
        metadata: metadataOf(params),
        invoice_settings: { default_payment_method: null },
      };
      customers.set(customer.id, customer);
      return [200, customer];
    }
    const customerMatch = path.match(/^\/v1\/customers\/([^/]+)$/);
    if (method === "GET" && customerMatch?.[1]) {
      const customer = customers.get(customerMatch[1]);
      return customer ? [200, customer] : missing("customer", customerMatch[1]);
    }
    if (method === "GET" && path === "/v1/subscriptions") {
      const customer = url.searchParams.get("customer");
      const status = url.searchParams.get("status");
      const data = [...subscriptions.values()]
        .filter((s) => !customer || s.customer === customer)
        // Without `status`, Stripe lists every subscription that is not canceled.
        .filter((s) =>
          status === "all" ? true : status ? s.status === status : s.status !== "canceled",
        )
        .sort((a, b) => b.created - a.created);
      return [200, { object: "list", data, has_more: false, url: "/v1/subscriptions" }];
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      if (!params.customer || !customers.has(params.customer)) {
        return missing("customer", params.customer ?? "");
      }
      const session = {
        id: id("cs_test"),
        object: "checkout.session",
        mode: params.mode,
        customer: params.customer,
        client_reference_id: params.client_reference_id ?? null,
        metadata: metadataOf(params),
        status: "open",
        payment_status: "unpaid",
        subscription: null,
        success_url: params.success_url,
        cancel_url: params.cancel_url,
        url: `https://checkout.stripe.test/c/pay/${randomBytes(8).toString("hex")}`,
        livemode: false,
        created: now(),
      };
      checkoutSessions.push({ id: session.id, params });
      return [200, session];
    }
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      if (!params.customer || !customers.has(params.customer)) {
        return missing("customer", params.customer ?? "");
      }
      const session = {
        id: id("bps"),
        object: "billing_portal.session",
        customer: params.customer,
        return_url: params.return_url ?? null,
        url: `https://billing.stripe.test/p/session/${randomBytes(8).toString("hex")}`,
        livemode: false,
        created: now(),
      };
      portalSessions.push({ id: session.id, params });
      return [200, session];
    }
    return [
      404,
      {
        error: {
          type: "invalid_request_error",
          message: `Unrecognized request URL (${method}: ${path})`,
        },
      },
    ];
  }

  function missing(kind: string, value: string): [number, unknown] {
    return [
      404,
      {
        error: {
          type: "invalid_request_error",
          code: "resource_missing",
          message: `No such ${kind}: '${value}'`,
        },
      },
    ];
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    let body = "";
    for await (const chunk of request) body += chunk;
    const method = request.method ?? "GET";
    const url = new URL(request.url ?? "/", "http://fake-stripe");
    const key = request.headers["idempotency-key"] as string | undefined;
    let status: number;
    let answer: unknown;
    if (failing !== undefined) {
      status = failing;
      answer = {
        error:
          failing === 429
            ? { type: "invalid_request_error", code: "rate_limit", message: "Too many requests" }
            : { type: "api_error", message: "The fake Stripe is down" },
      };
    } else if (request.headers.authorization !== "Bearer sk_test_fake") {
      status = 401;
      answer = { error: { type: "invalid_request_error", message: "Invalid API Key provided" } };
    } else if (method === "POST" && key && idempotent.has(key)) {
      // Stripe answers a repeated idempotency key with the first answer, not a second object.
      const first = idempotent.get(key);
      status = first?.status ?? 500;
      answer = first?.body;
      response.setHeader("idempotent-replayed", "true");
    } else {
      [status, answer] = route(method, url, form(body));
      if (method === "POST" && key && status < 500) idempotent.set(key, { status, body: answer });
    }
    calls.push({ method, path: url.pathname, status, ...(key ? { idempotencyKey: key } : {}) });
    const encoded = JSON.stringify(answer);
    const delay = delays.get(url.pathname);
    if (delay !== undefined) {
      delays.delete(url.pathname);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    response.statusCode = status;
    response.setHeader("content-type", "application/json");
    response.setHeader("request-id", id("req"));
    response.end(encoded);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(JSON.stringify({ error: { type: "api_error", message: String(error) } }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    prices,
    env: () => ({
      STRIPE_API_BASE: url,
      STRIPE_SECRET_KEY: "sk_test_fake",
      STRIPE_PRICE_PRO: prices.pro,
      STRIPE_PRICE_BUSINESS: prices.business,
    }),
    customers,
    checkoutSessions,
    portalSessions,
    calls,
    count: (prefix, method) =>
      calls.filter(
        (call) =>
          call.path.startsWith(prefix) && call.status < 300 && (!method || call.method === method),
      ).length,
    setSubscription,
    addSubscription: (customerId, state) => newSubscription(customerId, state.plan, state.status),
    subscriptionsOf,
    failWith(status) {
      failing = status;
    },
    delayNext(path, ms) {
      delays.set(path, ms);
    },
    event(type, object, options = {}) {
      return JSON.stringify({
        id: id("evt"),
        object: "event",
        api_version: apiVersion,
        created: options.created ?? now(),
        type,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: { object: structuredClone(object) },
      });
    },
    sign: (payload, secret, options = {}) =>
      signer.webhooks.generateTestHeaderStringAsync({
        payload,
        secret,
        ...(options.timestamp ? { timestamp: options.timestamp } : {}),
      }),
    endpoint(endpointUrl, secret, options) {
      const endpoint = webhookEndpoint(
        endpointUrl,
        (payload) => signer.webhooks.generateTestHeaderStringAsync({ payload, secret }),
        options,
      );
      endpoints.push(endpoint);
      return endpoint;
    },
    close: () => {
      for (const endpoint of endpoints) endpoint.close();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
