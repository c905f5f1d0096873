import { randomBytes } from "node:crypto";
import { connect } from "@oryn/shared";
import { type TestRun, testRun } from "./context.ts";
import type { jsonCaller } from "./http.ts";
import { invitationToken, verifyQueuedEmail } from "./queued-mail.ts";
import { idpMetadata, signingPair } from "./saml-idp.ts";
import { signUpAndWait, testPassword } from "./wait.ts";

type Call = ReturnType<typeof jsonCaller>;

export type Person = { userId: string; token: string; refreshToken: string };

export type PopulatedTenant = {
  id: string;
  slug: string;
  owner: Omit<Person, "refreshToken">;
  admin: Person;
  member: Person;
  /** Object ids, by the collection they belong to (the path segment before the id). */
  ids: Record<string, string>;
};

const claimsOf = (token: string): { sub?: string; sid?: string } =>
  JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());

function expectStatus(what: string, answer: { status: number; json: unknown }, status: number) {
  if (answer.status !== status) {
    throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
  }
}

/**
 * A new person in the tenant with `role`, through a real invitation: its token is read from the
 * mail the gateway queued on `run`'s Redis prefix.
 */
export async function joinTenant(
  call: Call,
  ownerToken: string,
  role: string,
  run: TestRun = testRun(),
): Promise<Person> {
  const email = `${role}-${randomBytes(4).toString("hex")}@example.test`;
  const invitation = await call("POST", "/v1/invitations", {
    token: ownerToken,
    body: { email, role },
  });
  expectStatus(`inviting a ${role}`, invitation, 201);
  const accepted = await call("POST", "/v1/invitations/accept", {
    body: { token: await invitationToken(run, invitation), name: role, password: testPassword },
  });
  expectStatus(`accepting the ${role}'s invitation`, accepted, 200);
  return {
    userId: claimsOf(accepted.json.accessToken).sub as string,
    token: accepted.json.accessToken as string,
    refreshToken: accepted.json.refreshToken as string,
  };
}

/**
 * An active tenant with one object of every kind the API has (project, task, invitation, API
 * key, export) and a person of every role, on the business plan so the free plan's caps are out
 * of the way (they have tests of their own). `ids` fills the `{param}`s of every path.
 */
export async function populatedTenant(
  call: Call,
  run: TestRun,
  label: string,
): Promise<PopulatedTenant> {
  const signed = await signUpAndWait(call, {
    slug: `${label}-${randomBytes(3).toString("hex")}`,
    intervalMs: 50,
    timeoutMs: 30_000,
  });
  const owner = { userId: signed.userId, token: signed.token };
  // Only a verified owner may invite and create keys: the link queued at signup is followed.
  await verifyQueuedEmail(run, call, `owner@${signed.slug}.test`);
  const controlPlane = connect(run.controlPlaneUrl, { max: 1 });
  try {
    await controlPlane`update tenants set plan = 'business' where id = ${signed.tenantId}`;
  } finally {
    await controlPlane.end();
  }
  const admin = await joinTenant(call, owner.token, "admin", run);
  const member = await joinTenant(call, owner.token, "member", run);
  const ids: Record<string, string> = { members: member.userId };

  const project = await call("POST", "/v1/projects", {
    token: owner.token,
    body: { name: `Project of ${label}` },
  });
  expectStatus("creating a project", project, 201);
  ids.projects = project.json.id;
  const task = await call("POST", `/v1/projects/${ids.projects}/tasks`, {
    token: owner.token,
    body: { title: `Task of ${label}` },
  });
  expectStatus("creating a task", task, 201);
  ids.tasks = task.json.id;
  const invitation = await call("POST", "/v1/invitations", {
    token: owner.token,
    body: { email: `pending-${label}@example.test`, role: "member" },
  });
  expectStatus("inviting", invitation, 201);
  ids.invitations = invitation.json.id;
  const key = await call("POST", "/v1/api-keys", {
    token: owner.token,
    body: { name: `Key of ${label}`, role: "member" },
  });
  expectStatus("creating an API key", key, 201);
  ids["api-keys"] = key.json.id;
  const exported = await call("POST", "/v1/tenant/exports", { token: owner.token });
  expectStatus("starting an export", exported, 202);
  ids.exports = exported.json.id;
  const endpoint = await call("POST", "/v1/webhook-endpoints", {
    token: owner.token,
    body: { url: `https://hooks.example.test/${label}`, events: ["*"] },
  });
  expectStatus("registering a webhook endpoint", endpoint, 201);
  ids["webhook-endpoints"] = endpoint.json.id;
  // A domain claim (pending: proving it needs DNS) and an SSO connection.
  const domain = await call("POST", "/v1/domains", {
    token: owner.token,
    body: { domain: `${label}-${randomBytes(3).toString("hex")}.example` },
  });
  expectStatus("claiming a domain", domain, 201);
  ids.domains = domain.json.id;
  const connection = await call("POST", "/v1/sso/connections", {
    token: owner.token,
    body: {
      type: "oidc",
      issuer: `https://idp-${label}.example.test`,
      clientId: `client-${label}`,
      clientSecret: `secret of ${label}`,
    },
  });
  expectStatus("connecting an identity provider", connection, 201);
  ids.connections = connection.json.id;
  // A SAML connection too: its id is the one our SP metadata is served under.
  const idpCert = (await signingPair(`idp-${label}`)).certBase64;
  const saml = await call("POST", "/v1/sso/connections", {
    token: owner.token,
    body: {
      type: "saml",
      metadataXml: idpMetadata(
        `https://idp-${label}.example.test/saml`,
        `https://idp-${label}.example.test/saml/sso`,
        idpCert,
      ),
    },
  });
  expectStatus("connecting a SAML identity provider", saml, 201);
  ids.metadata = saml.json.id;
  const scimToken = await call("POST", "/v1/scim/tokens", {
    token: owner.token,
    body: { description: `Directory of ${label}` },
  });
  expectStatus("creating a SCIM token", scimToken, 201);
  // `/v1/scim/tokens/{id}`: the collection is the segment before the id.
  ids.tokens = scimToken.json.id;
  // A second session of the owner's, so that ending it (DELETE /v1/me/sessions/{id}) leaves the
  // owner's token working.
  const again = await call("POST", "/v1/auth/login", {
    body: { email: signed.signup.json.user.email, password: testPassword },
  });
  expectStatus("logging in again", again, 200);
  ids.sessions = claimsOf(again.json.accessToken).sid as string;
  // The operator API's `{tenantId}`: the tenant's own id.
  ids.tenants = signed.tenantId;
  return { id: signed.tenantId, slug: signed.slug, owner, admin, member, ids };
}
