-- Moving a tenant to another database server (`pnpm oryn tenants move`): while `moving_since` is
-- set, workspace answers the tenant's writes 503 (reads go on), so the copy cannot miss one.
alter table tenants add column moving_since timestamptz;
