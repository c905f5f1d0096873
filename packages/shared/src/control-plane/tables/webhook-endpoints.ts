import type { Sql, TransactionSql } from "../../database.ts";
import { andAfterCreatedAt, createdAtCursorColumn } from "../../pages.ts";
import type { Row } from "../schema.ts";

/**
 * The `webhook_endpoints` table: where a tenant wants its events delivered, with the secret
 * (sealed) that signs them. The gateway manages endpoints; the webhooks service reads them with
 * each delivery (in webhook-deliveries.ts) and writes only their failure clock and status, when
 * deliveries keep failing or succeed again.
 */
export type WebhookEndpointRow = Pick<
  Row<"webhook_endpoints">,
  "id" | "url" | "events" | "description" | "status" | "createdAt" | "updatedAt"
>;

type Db = Sql | TransactionSql;

export async function insertWebhookEndpoint(
  tx: TransactionSql,
  endpoint: Pick<
    Row<"webhook_endpoints">,
    "id" | "tenantId" | "url" | "events" | "description" | "secretCiphertext"
  >,
): Promise<WebhookEndpointRow> {
  const [row] = await tx<WebhookEndpointRow[]>`
    insert into webhook_endpoints (id, tenant_id, url, events, description, secret_ciphertext)
    values (${endpoint.id}, ${endpoint.tenantId}, ${endpoint.url}, ${endpoint.events}, ${endpoint.description},
            ${endpoint.secretCiphertext})
    returning id, url, events, description, status, created_at, updated_at`;
  if (!row) throw new Error("insert returned nothing");
  return row;
}

/**
 * Up to `limit` of the tenant's endpoints after the `after` cursor, oldest first, each with its
 * `created_at` as a cursor (microseconds since the epoch, as text).
 */
export async function listWebhookEndpointsAfter(
  sql: Sql,
  tenantId: string,
  after: [atMicros: string, id: string] | undefined,
  limit: number,
): Promise<(WebhookEndpointRow & { cursorAt: string })[]> {
  return sql<(WebhookEndpointRow & { cursorAt: string })[]>`
    select id, url, events, description, status, created_at, updated_at, ${createdAtCursorColumn(sql)}
    from webhook_endpoints where tenant_id = ${tenantId}
    ${andAfterCreatedAt(sql, after)}
    order by created_at, id limit ${limit}`;
}

/** The tenant's endpoint; undefined for another tenant's, as for none. */
export async function findWebhookEndpoint(
  sql: Db,
  tenantId: string,
  id: string,
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await sql<WebhookEndpointRow[]>`
    select id, url, events, description, status, created_at, updated_at from webhook_endpoints where id = ${id} and tenant_id = ${tenantId}`;
  return row;
}

/**
 * Sets what is given and leaves the rest; setting `enabled` clears the failure clock. Undefined
 * for no such endpoint of the tenant's.
 */
export async function updateWebhookEndpointSettings(
  tx: TransactionSql,
  tenantId: string,
  id: string,
  input: {
    [K in "url" | "events" | "description" | "status"]?: Row<"webhook_endpoints">[K] | undefined;
  },
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await tx<WebhookEndpointRow[]>`
    update webhook_endpoints set
      url = coalesce(${input.url ?? null}, url),
      events = coalesce(${input.events ?? null}::text[], events),
      description = coalesce(${input.description ?? null}, description),
      status = coalesce(${input.status ?? null}, status),
      failing_since = case when ${input.status === "enabled"} then null else failing_since end,
      updated_at = clock_timestamp()
    where id = ${id} and tenant_id = ${tenantId}
    returning id, url, events, description, status, created_at, updated_at`;
  return row;
}

/** Whether the tenant had such an endpoint (its deliveries and attempts go with it). */
export async function deleteWebhookEndpointOfTenant(
  sql: Sql,
  tenantId: string,
  id: string,
): Promise<boolean> {
  const deleted = await sql`
    delete from webhook_endpoints where id = ${id} and tenant_id = ${tenantId} returning id`;
  return deleted.length > 0;
}

/**
 * Makes `secretCiphertext` the endpoint's secret and the current one the previous, which keeps
 * signing for `previousHours`. Whether the tenant had such an endpoint.
 */
export async function rotateWebhookEndpointSecret(
  tx: TransactionSql,
  tenantId: string,
  id: string,
  secretCiphertext: Buffer,
  previousHours: number,
): Promise<boolean> {
  const rotated = await tx`
    update webhook_endpoints set
      previous_secret_ciphertext = secret_ciphertext,
      previous_secret_expires_at = clock_timestamp() + make_interval(hours => ${previousHours}),
      secret_ciphertext = ${secretCiphertext},
      updated_at = clock_timestamp()
    where id = ${id} and tenant_id = ${tenantId} returning id`;
  return rotated.length > 0;
}

/** A delivery succeeded: the endpoint is no longer failing (no write when it was not). */
export async function clearWebhookEndpointFailing(
  tx: TransactionSql,
  endpointId: string,
): Promise<void> {
  await tx`update webhook_endpoints set failing_since = null
        where id = ${endpointId} and failing_since is not null`;
}

/** What `markWebhookEndpointFailing` answers: `justDisabled` when this failure disabled it. */
export type FailingWebhookEndpoint = Pick<Row<"webhook_endpoints">, "status"> & {
  failingSince: Date;
  tenantName: Row<"tenants">["name"];
  justDisabled: boolean;
};

/**
 * An attempt failed: starts the endpoint's failure clock if it was not running, and disables an
 * enabled endpoint that has failed without a success for the whole window: when the window has
 * passed since its first failure, or when a delivery gives up (`givingUp`) after its whole window
 * with no success of the endpoint's since that delivery's first attempt. `wasStatus` is the
 * status the delivery read, so that only the failure that disables it says so.
 */
export async function markWebhookEndpointFailing(
  tx: TransactionSql,
  failure: {
    endpointId: string;
    deliveryId: string;
    windowMs: number;
    givingUp: boolean;
    wasStatus: Row<"webhook_endpoints">["status"];
  },
): Promise<FailingWebhookEndpoint | undefined> {
  const [endpoint] = await tx<FailingWebhookEndpoint[]>`
      update webhook_endpoints w set
        failing_since = coalesce(w.failing_since, clock_timestamp()),
        status = case
          when w.status = 'enabled' and (
            w.failing_since <= clock_timestamp() - ${failure.windowMs} * interval '1 millisecond'
            or (${failure.givingUp} and w.failing_since is not null and not exists (
              select 1 from webhook_attempts a where a.endpoint_id = w.id
                and a.status = 'succeeded' and a.at >= (
                  select min(at) from webhook_attempts where delivery_id = ${failure.deliveryId}))))
          then 'disabled' else w.status end,
        updated_at = clock_timestamp()
      from tenants t where w.id = ${failure.endpointId} and t.id = w.tenant_id
      returning w.failing_since, w.status, t.name as tenant_name,
        (w.status = 'disabled' and ${failure.wasStatus} = 'enabled') as just_disabled`;
  return endpoint;
}
