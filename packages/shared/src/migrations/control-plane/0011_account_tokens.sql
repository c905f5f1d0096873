-- Accounts: verified addresses, and the single-use tokens mail carries (email verification,
-- password reset, email change). Only a token's SHA-256 is stored, like refresh tokens.

alter table users add column email_verified_at timestamptz;
-- Accounts made before verification existed were let in under the old rules: they keep
-- inviting and creating keys.
update users set email_verified_at = created_at;

create table account_tokens (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  purpose text not null check (purpose in ('verify_email', 'reset_password', 'change_email')),
  -- The address the token was mailed to: verifying marks that address (and an email change
  -- moves the account to it), never whatever the account's address is by then.
  email text not null check (email = lower(email) and char_length(email) <= 254),
  token_hash bytea not null unique,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index account_tokens_user_id on account_tokens (user_id, purpose);
-- Tokens a week past their expiry are pruned a few at a time as new ones are minted.
create index account_tokens_expires_at on account_tokens (expires_at);

-- The gateway runs every account flow: a profile's name, a new password or address, and the
-- moment an address was proved.
grant update (name, email, password_hash, email_verified_at) on users to oryn_gateway;
grant select, insert, update, delete on account_tokens to oryn_gateway;
-- The tenant's security log (GET /v1/security-log) is read from here.
grant select on audit_events to oryn_gateway;

-- Invitations now go to the invitee by mail only, so accepting one proves the address. Those
-- made before (the token was handed to the inviter) prove nothing: their new accounts are sent
-- a verification mail instead.
alter table invitations add column mailed boolean not null default false;
