/**
 * The tenant schema version the code in this release needs: workspace answers 503 for a tenant
 * whose database (tenants.schema_version) is behind it, instead of failing on a missing column.
 *
 * An explicit constant, not the latest file in migrations/tenant/, because migrations are
 * written expand-then-contract: a release ships its new (expand) migration while its code still
 * runs on the previous version, so the fleet can be migrated while that code serves. Bump this
 * only in a later release whose code depends on the migration, after `pnpm oryn migrate` has
 * taken the fleet there. It is therefore normally the latest version or one behind it, never
 * ahead (a test checks). At 6: every write records its event in the outbox of 0006.
 */
export const requiredTenantSchemaVersion = 6;
