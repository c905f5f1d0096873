import { randomUUID } from "node:crypto";
import { connect } from "@oryn/shared";
import type { Answer } from "./http.ts";

// A SCIM 2.0 client for tests of /scim/v2 (test/scim*.test.ts): bodies as application/scim+json
// unless told otherwise, the tenant's SCIM token as the bearer.

export const patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const userUrn = "urn:ietf:params:scim:schemas:core:2.0:User";
export const groupUrn = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const errorUrn = "urn:ietf:params:scim:api:messages:2.0:Error";

export type Scim = (
  method: string,
  path: string,
  body?: unknown,
  options?: { token?: string; contentType?: string; raw?: string },
) => Promise<Answer>;

export function scimClient(gatewayUrl: string, token: string): Scim {
  return async (method, path, body, options = {}) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token ?? token}`,
      accept: "application/scim+json",
    };
    let payload: string | undefined;
    if (body !== undefined || options.raw !== undefined) {
      headers["content-type"] = options.contentType ?? "application/scim+json";
      payload = options.raw ?? JSON.stringify(body);
    }
    const response = await fetch(`${gatewayUrl}/scim/v2${path}`, {
      method,
      headers,
      body: payload,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: text ? JSON.parse(text) : undefined,
    };
  };
}

/** A SCIM error's status and scimType, to compare in one expectation. */
export const scimError = (answer: Answer) => [answer.status, answer.json?.scimType];

/** A filter expression as a query value. */
export const filterOf = (expression: string) => encodeURIComponent(expression);

/**
 * Marks `domain` (`<slug>.example.test` unless told) a verified domain of the tenant, by SQL: SCIM creates and links
 * accounts only in a tenant's verified domains, and the DNS proof (test/sso-oidc.test.ts walks
 * it) would need a DNS server per file. Unique per tenant, as a verified domain is. Returns the
 * domain, for the addresses of the directory's users.
 */
export async function verifiedScimDomain(
  run: { controlPlaneUrl: string },
  tenant: { tenantId: string; slug: string },
  domain = `${tenant.slug}.example.test`,
): Promise<string> {
  const sql = connect(run.controlPlaneUrl, { max: 1 });
  try {
    await sql`
      insert into tenant_domains (id, tenant_id, domain, txt_token, status, verified_at)
      values (${randomUUID()}, ${tenant.tenantId}, ${domain}, 'set-by-test', 'verified', now())`;
  } finally {
    await sql.end();
  }
  return domain;
}

/** A directory as a test starts it: its client, SCIM token and verified domain. */
export type Directory = {
  scim: Scim;
  token: string;
  /** The SCIM token's id, as `/v1/scim/tokens` lists it. */
  tokenId: string;
  domain: string;
  /** POSTs a user `<local>@<domain>`, with `extra` attributes. */
  createUser(local: string, extra?: Record<string, unknown>): Promise<Answer>;
};

/**
 * The directory of a signed-up tenant as a test starts it: a verified domain of its own, a SCIM
 * token made by its owner through the gateway, and a client holding that token. The kit's
 * `directory` fixture.
 */
export async function tenantDirectory(
  run: { controlPlaneUrl: string },
  gateway: (
    method: string,
    path: string,
    options?: { token?: string; body?: unknown },
  ) => Promise<Answer>,
  gatewayUrl: string,
  tenant: { tenantId: string; slug: string; token: string },
): Promise<Directory> {
  const domain = await verifiedScimDomain(run, tenant);
  const made = await gateway("POST", "/v1/scim/tokens", { token: tenant.token, body: {} });
  if (made.status !== 201)
    throw new Error(`SCIM token: ${made.status} ${JSON.stringify(made.json)}`);
  const token = made.json.token as string;
  const scim = scimClient(gatewayUrl, token);
  const createUser = (local: string, extra: Record<string, unknown> = {}) =>
    scim("POST", "/Users", { schemas: [userUrn], userName: `${local}@${domain}`, ...extra });
  return { scim, token, tokenId: made.json.id as string, domain, createUser };
}

/** A PatchOp body: the operations an IdP sends in one PATCH. */
export const patchBody = (...operations: unknown[]) => ({
  schemas: [patchOp],
  Operations: operations,
});

/** Deactivates or reactivates a user as Okta and Entra do: `replace` of `active`. */
export const setActive = (scim: Scim, userId: string, active: boolean) =>
  scim("PATCH", `/Users/${userId}`, patchBody({ op: "replace", path: "active", value: active }));
