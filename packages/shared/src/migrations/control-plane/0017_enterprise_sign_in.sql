-- Enterprise sign-in (issue 19): verified domains, SSO connections (OIDC and SAML), the state of
-- a sign-in between the redirect to the identity provider and its answer, the one-time codes the
-- app exchanges for tokens, and the SAML assertion ids already accepted.

-- A tenant's claim on a mail domain, proved by a TXT record holding `txt_token`. Pending claims of
-- one domain by several tenants may coexist (nobody can block another by claiming first); once one
-- is verified, no other tenant can verify it (the partial unique index is the race guard).
create table tenant_domains (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  -- Lower-case, ASCII (punycode), without a trailing dot: the gateway normalises it.
  domain text not null check (domain = lower(domain) and char_length(domain) between 3 and 253),
  txt_token text not null,
  status text not null default 'pending' check (status in ('pending', 'verified')),
  verified_at timestamptz,
  created_at timestamptz not null default clock_timestamp(),
  unique (tenant_id, domain)
);
create unique index tenant_domains_verified_once on tenant_domains (domain) where status = 'verified';
create index tenant_domains_tenant on tenant_domains (tenant_id, created_at, id);

-- An identity provider a tenant signs its people in with. The columns of both types live here so
-- that the sign-in code reads one row; checks keep each type's columns filled. The OIDC client
-- secret is sealed (AES-256-GCM, the connection id as associated data; see sso/sealing.ts).
create table sso_connections (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  type text not null check (type in ('oidc', 'saml')),
  status text not null default 'enabled' check (status in ('enabled', 'disabled')),
  default_role text not null default 'member' check (default_role in ('admin', 'member')),
  -- Password login and reset are refused to the people of the tenant's verified domains.
  enforce boolean not null default false,
  oidc_issuer text,
  oidc_client_id text,
  oidc_client_secret_ciphertext bytea,
  saml_idp_entity_id text,
  saml_sso_url text,
  saml_idp_certs text[],
  saml_metadata_xml text,
  version bigint not null default 1,
  created_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp(),
  check (type <> 'oidc' or (oidc_issuer is not null and oidc_client_id is not null
                             and oidc_client_secret_ciphertext is not null)),
  check (type <> 'saml' or (saml_idp_entity_id is not null and saml_sso_url is not null
                             and saml_idp_certs is not null and saml_metadata_xml is not null))
);
create index sso_connections_tenant on sso_connections (tenant_id, created_at, id);

-- A sign-in under way: `id` is the OIDC `state` (or the SAML RelayState), random and single use.
-- The tenant and connection are the ones the flow started with: the answer is judged against
-- them and nothing the identity provider says can change them.
create table sso_flows (
  id text primary key check (char_length(id) between 32 and 64),
  tenant_id uuid not null references tenants (id) on delete cascade,
  connection_id uuid not null references sso_connections (id) on delete cascade,
  code_verifier text,
  nonce text,
  saml_request_id text,
  redirect_uri text not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default clock_timestamp()
);
create index sso_flows_expires_at on sso_flows (expires_at);

-- The code the browser carries back to the app: only its SHA-256 is kept; 60 s, single use.
create table sso_codes (
  code_hash bytea primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  connection_id uuid not null references sso_connections (id) on delete cascade,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default clock_timestamp()
);
create index sso_codes_expires_at on sso_codes (expires_at);

-- SAML assertion ids already accepted, per connection, kept until the assertion would have
-- expired anyway: the insert's conflict is the replay check.
create table sso_seen_assertions (
  connection_id uuid not null references sso_connections (id) on delete cascade,
  assertion_id text not null check (char_length(assertion_id) <= 256),
  expires_at timestamptz not null,
  primary key (connection_id, assertion_id)
);
create index sso_seen_assertions_expires_at on sso_seen_assertions (expires_at);

-- People created at their first SSO sign-in have no password until they set one (a reset),
-- which `enforce` refuses. Password login treats a null hash as a wrong password.
alter table users alter column password_hash drop not null;

grant select, insert, update, delete on tenant_domains to oryn_gateway;
grant select, insert, update, delete on sso_connections to oryn_gateway;
grant select, insert, update, delete on sso_flows, sso_codes, sso_seen_assertions to oryn_gateway;
