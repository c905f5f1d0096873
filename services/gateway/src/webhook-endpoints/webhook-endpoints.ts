import { randomUUID } from "node:crypto";
import {
  ApiError,
  createdAtCursor,
  insertPingEvent,
  newWebhookSecret,
  type Page,
  pageOf,
  type Sql,
  sealWebhookSecret,
  type TransactionSql,
} from "@oryn/shared";
import {
  insertPingDelivery,
  insertReplayDeliveries,
  listDeliveryAttemptsOfEndpoint,
} from "@oryn/shared/control-plane/tables/webhook-deliveries";
import {
  deleteWebhookEndpointOfTenant,
  findWebhookEndpoint,
  insertWebhookEndpoint,
  listWebhookEndpointsAfter,
  rotateWebhookEndpointSecret,
  updateWebhookEndpointSettings,
  type WebhookEndpointRow,
} from "@oryn/shared/control-plane/tables/webhook-endpoints";
import { createdAtPage } from "@oryn/shared/pages";
import type {
  CreatedWebhookEndpoint,
  CreateWebhookEndpointInput,
  DeliveryAttempt,
  UpdateWebhookEndpointInput,
  WebhookEndpoint,
} from "./schemas.ts";

/** How long a rotated-out secret keeps signing alongside the new one. */
export const previousSecretHours = 24;

function toEndpoint({ createdAt, updatedAt, ...row }: WebhookEndpointRow): WebhookEndpoint {
  return { ...row, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}

/** What the gateway needs to know of its deployment to take an endpoint's URL. */
export type EndpointPolicy = { production: boolean };

/**
 * Plain http:// is refused in production, where a delivery's body and signature would travel
 * in the clear. Addresses are checked where they are used: by the webhooks service, after DNS
 * resolution, at each delivery (a name can point elsewhere tomorrow).
 */
function assertUrlAllowed(url: string, policy: EndpointPolicy): void {
  if (policy.production && new URL(url).protocol !== "https:")
    throw new ApiError("validation_failed", { detail: "The URL must use https://" });
}

export async function createWebhookEndpoint(
  tx: TransactionSql,
  tenantId: string,
  input: CreateWebhookEndpointInput,
  secrets: { key: Buffer; policy: EndpointPolicy },
): Promise<CreatedWebhookEndpoint> {
  assertUrlAllowed(input.url, secrets.policy);
  const id = randomUUID();
  const secret = newWebhookSecret();
  const row = await insertWebhookEndpoint(tx, {
    id,
    tenantId,
    url: input.url,
    events: input.events,
    description: input.description ?? "",
    secretCiphertext: sealWebhookSecret(secrets.key, id, secret),
  });
  return { ...toEndpoint(row), secret };
}

export async function listWebhookEndpoints(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after: [atMicros: string, id: string] | undefined },
): Promise<Page<WebhookEndpoint>> {
  const rows = await listWebhookEndpointsAfter(sql, tenantId, page.after, page.limit + 1);
  return createdAtPage(rows, page.limit, (row) => toEndpoint(row));
}

/** Another tenant's endpoint is simply not found. */
export async function getWebhookEndpoint(
  sql: Sql | TransactionSql,
  tenantId: string,
  id: string,
): Promise<WebhookEndpoint> {
  const row = await findWebhookEndpoint(sql, tenantId, id);
  if (!row) throw new ApiError("not_found");
  return toEndpoint(row);
}

/**
 * Enabling a disabled endpoint starts its failure clock afresh; deliveries it held while paused
 * or disabled are handed to the queue again by the webhooks service.
 */
export async function updateWebhookEndpoint(
  tx: TransactionSql,
  tenantId: string,
  id: string,
  input: UpdateWebhookEndpointInput,
  policy: EndpointPolicy,
): Promise<WebhookEndpoint> {
  if (input.url) assertUrlAllowed(input.url, policy);
  const row = await updateWebhookEndpointSettings(tx, tenantId, id, input);
  if (!row) throw new ApiError("not_found");
  return toEndpoint(row);
}

export async function deleteWebhookEndpoint(sql: Sql, tenantId: string, id: string): Promise<void> {
  if (!(await deleteWebhookEndpointOfTenant(sql, tenantId, id))) throw new ApiError("not_found");
}

/**
 * A new secret; the current one becomes the previous and keeps signing for 24 hours, so a
 * receiver can switch without losing a delivery. A second rotation within those hours drops the
 * oldest.
 */
export async function rotateWebhookSecret(
  tx: TransactionSql,
  tenantId: string,
  id: string,
  key: Buffer,
): Promise<{ secret: string }> {
  const secret = newWebhookSecret();
  const sealed = sealWebhookSecret(key, id, secret);
  if (!(await rotateWebhookEndpointSecret(tx, tenantId, id, sealed, previousSecretHours)))
    throw new ApiError("not_found");
  return { secret };
}

/** A `ping` event, owed to this endpoint only: it takes no sequence number and is listed nowhere. */
export async function pingWebhookEndpoint(
  tx: TransactionSql,
  tenantId: string,
  id: string,
): Promise<void> {
  const endpoint = await getWebhookEndpoint(tx, tenantId, id);
  const eventId = randomUUID();
  await insertPingEvent(tx, eventId, tenantId, endpoint.id);
  await insertPingDelivery(tx, tenantId, endpoint.id, eventId);
}

/**
 * Every event since `since` that the endpoint subscribes to, owed again (same ids: a receiver
 * that deduplicates sees nothing twice). A failed event is retried by hand this way too.
 */
export async function replayWebhookEndpoint(
  tx: TransactionSql,
  tenantId: string,
  id: string,
  what: { since: Date } | { eventId: string },
): Promise<number> {
  const endpoint = await getWebhookEndpoint(tx, tenantId, id);
  const since = "since" in what ? what.since : null;
  const eventId = "eventId" in what ? what.eventId : null;
  const owed = await insertReplayDeliveries(tx, tenantId, endpoint, since, eventId);
  // One event asked for by id must exist for this tenant and be one the endpoint takes; another
  // tenant's event id is as unknown as a made-up one.
  if (eventId !== null && owed === 0) throw new ApiError("not_found");
  return owed;
}

/** The endpoint's delivery attempts, newest first. */
export async function listDeliveryAttempts(
  sql: Sql,
  tenantId: string,
  id: string,
  query: {
    limit: number;
    after: [atMicros: string, id: string] | undefined;
    status: DeliveryAttempt["status"] | undefined;
  },
): Promise<Page<DeliveryAttempt>> {
  await getWebhookEndpoint(sql, tenantId, id);
  const rows = await listDeliveryAttemptsOfEndpoint(sql, tenantId, id, {
    ...query,
    limit: query.limit + 1,
  });
  return pageOf(
    rows,
    query.limit,
    (last) => createdAtCursor.encode([last.cursorAt, last.id]),
    (row) => ({
      id: row.id,
      eventId: row.eventId,
      eventType: row.eventType,
      attempt: row.attempt,
      status: row.status,
      responseStatus: row.responseStatus,
      durationMs: row.durationMs,
      response: row.responseExcerpt,
      at: row.at.toISOString(),
    }),
  );
}
