-- Tenants see which provisioning step failed (provisioning_error); the underlying message,
-- which can name servers and addresses, is for operators only.
alter table tenants add column provisioning_error_detail text;
