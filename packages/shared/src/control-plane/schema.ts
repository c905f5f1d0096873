// Written by `pnpm db:types` from the migrated control plane: do not edit by hand.
// packages/shared/test/control-plane-schema.test.ts fails while it differs from the database.

/** Every control-plane table's row, as our pools return it (columns camelCased). */
export type ControlPlaneTables = {
  access_revocations: {
    id: string;
    tenantId: string;
    userId: string;
    minVersion: string;
    createdAt: Date;
  };
  account_tokens: {
    id: string;
    userId: string;
    purpose: "verify_email" | "reset_password" | "change_email";
    email: string;
    tokenHash: Buffer;
    expiresAt: Date;
    usedAt: Date | null;
    createdAt: Date;
  };
  api_keys: {
    id: string;
    tenantId: string;
    name: string;
    role: "owner" | "admin" | "member";
    keyHash: Buffer;
    keyPrefix: string;
    createdBy: string;
    createdAt: Date;
    lastUsedAt: Date | null;
  };
  audit_events: {
    id: string;
    at: Date;
    tenantId: string | null;
    actorId: string | null;
    action: string;
    entity: string;
    entityId: string | null;
    ip: string | null;
    requestId: string | null;
    data: unknown;
  };
  billing_accounts: {
    tenantId: string;
    stripeCustomerId: string;
    stripeSubscriptionId: string | null;
    subscriptionStatus: string | null;
    currentPeriodEnd: Date | null;
    cancelAtPeriodEnd: boolean;
    paymentFailedAt: Date | null;
    syncedAt: Date | null;
    createdAt: Date;
  };
  database_servers: {
    id: string;
    name: string;
    host: string;
    port: number;
    capacity: number;
    state: "accepting" | "draining";
    createdAt: Date;
  };
  event_outbox_marks: {
    tenantId: string;
    markedAt: Date;
    markedBy: string | null;
  };
  event_sequences: {
    tenantId: string;
    last: string;
    sealedAt: Date | null;
  };
  events: {
    id: string;
    tenantId: string;
    sequence: string | null;
    type: string;
    occurredAt: Date;
    data: unknown;
    previous: unknown | null;
    recordedAt: Date;
    dispatchedAt: Date | null;
  };
  fleet_migration_runs: {
    id: string;
    startedAt: Date;
    finishedAt: Date | null;
    state: "running" | "succeeded" | "failed" | "interrupted";
    targetVersion: number;
    canary: number | null;
    concurrency: number;
    report: unknown | null;
    error: string | null;
  };
  idempotency_keys: {
    scope: string;
    key: string;
    fingerprint: string;
    status: number;
    body: unknown;
    headers: unknown;
    createdAt: Date;
  };
  invitations: {
    id: string;
    tenantId: string;
    email: string;
    role: "owner" | "admin" | "member";
    tokenHash: Buffer;
    invitedBy: string;
    expiresAt: Date;
    acceptedAt: Date | null;
    acceptedBy: string | null;
    revokedAt: Date | null;
    createdAt: Date;
    mailed: boolean;
  };
  memberships: {
    tenantId: string;
    userId: string;
    role: "owner" | "admin" | "member";
    createdAt: Date;
    version: string;
  };
  mfa_challenges: {
    id: string;
    tokenHash: Buffer;
    userId: string;
    tenantId: string;
    expiresAt: Date;
    usedAt: Date | null;
    createdAt: Date;
  };
  pending_signups: {
    id: string;
    email: string;
    ownerName: string;
    passwordHash: string;
    companyName: string;
    companySlug: string | null;
    tokenHash: Buffer;
    expiresAt: Date;
    usedAt: Date | null;
    createdAt: Date;
  };
  recovery_codes: {
    userId: string;
    codeHash: Buffer;
    usedAt: Date | null;
  };
  refresh_tokens: {
    id: string;
    familyId: string;
    tenantId: string;
    userId: string;
    tokenHash: Buffer;
    expiresAt: Date;
    usedAt: Date | null;
    revokedAt: Date | null;
    createdAt: Date;
    replacedBy: string | null;
  };
  scim_group_members: {
    tenantId: string;
    groupId: string;
    userId: string;
  };
  scim_groups: {
    id: string;
    tenantId: string;
    displayName: string;
    externalId: string | null;
    createdAt: Date;
    updatedAt: Date;
  };
  scim_tokens: {
    id: string;
    tenantId: string;
    tokenHash: Buffer;
    tokenPrefix: string;
    description: string;
    createdBy: string | null;
    createdAt: Date;
    lastUsedAt: Date | null;
  };
  scim_users: {
    tenantId: string;
    userId: string;
    userName: string;
    externalId: string | null;
    displayName: string | null;
    givenName: string | null;
    familyName: string | null;
    active: boolean;
    baseRole: "owner" | "admin" | "member";
    syncedRole: "owner" | "admin" | "member" | null;
    createdAt: Date;
    updatedAt: Date;
  };
  sessions: {
    id: string;
    tenantId: string;
    userId: string;
    createdAt: Date;
    lastUsedAt: Date;
    userAgent: string | null;
    ip: string | null;
    endedAt: Date | null;
  };
  spare_databases: {
    id: string;
    serverId: string;
    name: string;
    state: "creating" | "ready";
    schemaVersion: number;
    tenantId: string | null;
    createdAt: Date;
  };
  sso_codes: {
    codeHash: Buffer;
    tenantId: string;
    userId: string;
    connectionId: string;
    expiresAt: Date;
    usedAt: Date | null;
    createdAt: Date;
  };
  sso_connections: {
    id: string;
    tenantId: string;
    type: "oidc" | "saml";
    status: "enabled" | "disabled";
    defaultRole: "admin" | "member";
    enforce: boolean;
    oidcIssuer: string | null;
    oidcClientId: string | null;
    oidcClientSecretCiphertext: Buffer | null;
    samlIdpEntityId: string | null;
    samlSsoUrl: string | null;
    samlIdpCerts: string[] | null;
    samlMetadataXml: string | null;
    version: string;
    createdAt: Date;
    updatedAt: Date;
  };
  sso_flows: {
    id: string;
    tenantId: string;
    connectionId: string;
    codeVerifier: string | null;
    nonce: string | null;
    samlRequestId: string | null;
    redirectUri: string;
    expiresAt: Date;
    usedAt: Date | null;
    createdAt: Date;
    appState: string | null;
  };
  sso_group_roles: {
    tenantId: string;
    groupName: string;
    role: "owner" | "admin" | "member";
  };
  sso_seen_assertions: {
    connectionId: string;
    assertionId: string;
    expiresAt: Date;
  };
  stripe_events: {
    id: string;
    type: string;
    payload: unknown;
    receivedAt: Date;
    processedAt: Date | null;
  };
  tenant_domains: {
    id: string;
    tenantId: string;
    domain: string;
    txtToken: string;
    status: "pending" | "verified";
    verifiedAt: Date | null;
    createdAt: Date;
  };
  tenant_exports: {
    id: string;
    tenantId: string;
    requestedBy: string;
    status: "pending" | "running" | "ready" | "failed" | "expired";
    sizeBytes: string | null;
    sha256: string | null;
    error: string | null;
    createdAt: Date;
    completedAt: Date | null;
    expiresAt: Date;
  };
  tenants: {
    id: string;
    slug: string;
    name: string;
    status: "provisioning" | "provisioning_failed" | "active" | "restricted" | "deleting" | "deleted";
    plan: string;
    provisioningStep: string | null;
    provisioningAttempts: number;
    provisioningError: string | null;
    schemaVersion: number;
    createdAt: Date;
    updatedAt: Date;
    activatedAt: Date | null;
    provisioningErrorDetail: string | null;
    serverId: string | null;
    movingSince: Date | null;
    deleteAfter: Date | null;
    statusBeforeDeletion: "provisioning" | "provisioning_failed" | "active" | "restricted" | null;
    deletionStartedAt: Date | null;
    deletedAt: Date | null;
    mfaRequired: boolean;
  };
  totp_factors: {
    userId: string;
    secretCiphertext: Buffer;
    confirmedAt: Date | null;
    lastUsedStep: string | null;
    createdAt: Date;
  };
  users: {
    id: string;
    email: string;
    name: string;
    passwordHash: string | null;
    createdAt: Date;
    emailVerifiedAt: Date | null;
  };
  webhook_attempts: {
    id: string;
    tenantId: string;
    endpointId: string;
    deliveryId: string;
    eventId: string;
    eventType: string;
    attempt: number;
    status: "succeeded" | "failed";
    responseStatus: number | null;
    durationMs: number;
    responseExcerpt: string;
    at: Date;
  };
  webhook_deliveries: {
    id: string;
    tenantId: string;
    endpointId: string;
    eventId: string;
    reason: "event" | "ping" | "replay";
    status: "pending" | "succeeded" | "failed";
    attempts: number;
    nextAttemptAt: Date;
    enqueuedAt: Date | null;
    createdAt: Date;
  };
  webhook_endpoints: {
    id: string;
    tenantId: string;
    url: string;
    events: string[];
    description: string;
    status: "enabled" | "paused" | "disabled";
    secretCiphertext: Buffer;
    previousSecretCiphertext: Buffer | null;
    previousSecretExpiresAt: Date | null;
    failingSince: Date | null;
    createdAt: Date;
    updatedAt: Date;
  };
};

/** One table's row. A query's result is a `Pick` of it: its columns named once, here. */
export type Row<T extends keyof ControlPlaneTables> = ControlPlaneTables[T];

/**
 * What each service's role may do to each table (column lists where the grant is narrower
 * than the table): the grants of the migrations, as the database holds them.
 */
export const grants = {
  oryn_billing: {
    audit_events: ["insert"],
    billing_accounts: ["insert","select","update"],
    event_sequences: ["insert","select","update"],
    events: ["insert","select"],
    idempotency_keys: ["delete","insert","select","update"],
    stripe_events: ["insert","select","update (processed_at)"],
    tenants: ["select (created_at, id, name, plan, status)","update (plan, status, updated_at)"],
  },
  oryn_gateway: {
    access_revocations: ["delete","insert","select"],
    account_tokens: ["delete","insert","select","update"],
    api_keys: ["delete","insert","select","update (last_used_at)"],
    audit_events: ["insert","select"],
    event_sequences: ["insert","select","update"],
    events: ["insert","select"],
    idempotency_keys: ["delete","insert","select","update"],
    invitations: ["insert","select","update"],
    memberships: ["delete","insert","select","update"],
    mfa_challenges: ["delete","insert","select","update"],
    pending_signups: ["delete","insert","select","update"],
    recovery_codes: ["delete","insert","select","update"],
    refresh_tokens: ["insert","select","update"],
    scim_group_members: ["delete","insert","select","update"],
    scim_groups: ["delete","insert","select","update"],
    scim_tokens: ["delete","insert","select","update"],
    scim_users: ["delete","insert","select","update"],
    sessions: ["insert","select","update"],
    sso_codes: ["delete","insert","select","update"],
    sso_connections: ["delete","insert","select","update"],
    sso_flows: ["delete","insert","select","update"],
    sso_group_roles: ["delete","insert","select","update"],
    sso_seen_assertions: ["delete","insert","select","update"],
    tenant_domains: ["delete","insert","select","update"],
    tenant_exports: ["insert","select"],
    tenants: ["insert","select","update (delete_after, mfa_required, status, status_before_deletion, updated_at)"],
    totp_factors: ["delete","insert","select","update"],
    users: ["insert","select","update (email, email_verified_at, name, password_hash)"],
    webhook_attempts: ["select"],
    webhook_deliveries: ["insert","select"],
    webhook_endpoints: ["delete","insert","select","update"],
  },
  oryn_provisioner: {
    access_revocations: ["insert"],
    api_keys: ["delete","select"],
    audit_events: ["insert"],
    database_servers: ["insert","select","update"],
    event_outbox_marks: ["delete","select (tenant_id)"],
    event_sequences: ["insert (sealed_at, tenant_id)","select (sealed_at, tenant_id)","update (sealed_at)"],
    events: ["delete","select (tenant_id)"],
    fleet_migration_runs: ["insert","select","update"],
    invitations: ["delete","select"],
    memberships: ["delete","select","update (version)"],
    mfa_challenges: ["delete","select (tenant_id)"],
    refresh_tokens: ["delete","select","update (revoked_at)"],
    scim_group_members: ["delete","select"],
    scim_groups: ["delete","select"],
    scim_tokens: ["delete","select"],
    scim_users: ["delete","select"],
    sessions: ["delete","select (tenant_id)"],
    spare_databases: ["delete","insert","select","update (schema_version, state, tenant_id)"],
    sso_connections: ["delete","select"],
    sso_group_roles: ["delete","select"],
    tenant_domains: ["delete","select"],
    tenant_exports: ["select","update"],
    tenants: ["select","update"],
    users: ["select (email_verified_at, id)"],
    webhook_endpoints: ["delete","select (tenant_id)"],
  },
  oryn_webhooks: {
    events: ["select","update (dispatched_at)"],
    memberships: ["select"],
    tenants: ["select"],
    users: ["select"],
    webhook_attempts: ["insert"],
    webhook_deliveries: ["insert","select","update"],
    webhook_endpoints: ["select","update (failing_since, status, updated_at)"],
  },
  oryn_workspace: {
    database_servers: ["select (host, id, port)"],
    event_outbox_marks: ["delete","insert","select","update"],
    event_sequences: ["insert","select","update"],
    events: ["insert","select"],
    memberships: ["select"],
    tenants: ["select"],
  },
} as const satisfies Record<string, Partial<Record<keyof ControlPlaneTables, readonly string[]>>>;
