-- Signups confirmed by mail (SIGNUP_CONFIRMATION=email): the request answers the same whether or
-- not the address has an account, and only a person who reads the address's mail goes on. What
-- the signup asked for waits here until its link is followed; nothing else exists until then (no
-- user, no tenant, no database). Only the token's SHA-256 is stored, as for account tokens.

create table pending_signups (
  id uuid primary key,
  email text not null check (email = lower(email) and char_length(email) <= 254),
  owner_name text not null,
  -- argon2id, as users.password_hash: the password was given once, at the request.
  password_hash text not null,
  company_name text not null,
  company_slug text,
  token_hash bytea not null unique,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
-- Rows a day past their expiry are pruned a few at a time as new ones are made.
create index pending_signups_expires_at on pending_signups (expires_at);

grant select, insert, update, delete on pending_signups to oryn_gateway;
