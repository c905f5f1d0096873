import type { Sql, TransactionSql } from "../../database.ts";
import type { Row } from "../schema.ts";

/**
 * The `users` table: the people, one row per address, across every tenant. An address counts
 * as proved once `email_verified_at` is set; until then whoever signed up with it may not be the
 * person it belongs to (see the gateway's `linkExistingAccount`). `password_hash` is null for
 * people who sign in through SSO or were created by a directory. Written by the gateway only;
 * the provisioner reads who is verified, webhooks read addresses: see `grants` in schema.ts.
 */
export type UserRow = Row<"users">;

type Db = Sql | TransactionSql;

/** A person as mail greets them. */
export type UserContact = Pick<UserRow, "id" | "email" | "name">;

/** The person's id and password hash, to check a password given with the address. */
export async function findUserCredentialsByEmail(
  sql: Db,
  email: string,
): Promise<Pick<UserRow, "id" | "passwordHash"> | undefined> {
  const [row] = await sql<Pick<UserRow, "id" | "passwordHash">[]>`
    select id, password_hash from users where email = ${email}`;
  return row;
}

/** The account an address belongs to: who it is, what mail calls them, whether it was proved. */
export type UserByEmail = Pick<UserRow, "id" | "name" | "emailVerifiedAt">;

/**
 * The account with the address, or undefined when no account has it: whether it is taken, whom
 * mail to it greets, whether linking it needs the address proved.
 */
export async function findUserByEmail(sql: Db, email: string): Promise<UserByEmail | undefined> {
  const [row] = await sql<UserByEmail[]>`
    select id, name, email_verified_at from users where email = ${email}`;
  return row;
}

export async function findUserContact(sql: Db, id: string): Promise<UserContact | undefined> {
  const [row] = await sql<UserContact[]>`select id, email, name from users where id = ${id}`;
  return row;
}

/** The person with their password hash, to check a password they give again. */
export async function findUserWithPasswordHash(
  sql: Db,
  id: string,
): Promise<(UserContact & Pick<UserRow, "passwordHash">) | undefined> {
  const [row] = await sql<(UserContact & Pick<UserRow, "passwordHash">)[]>`
    select id, email, name, password_hash from users where id = ${id}`;
  return row;
}

/** The person as their profile shows them: `verified` whether the address was proved. */
export async function findUserProfile(
  sql: Db,
  id: string,
): Promise<(UserContact & { verified: boolean }) | undefined> {
  const [row] = await sql<(UserContact & { verified: boolean })[]>`
    select id, email, name, email_verified_at is not null as verified from users where id = ${id}`;
  return row;
}

/** The person if their address is not proved yet (undefined once it is): who a link goes to. */
export async function findUnverifiedUser(sql: Db, id: string): Promise<UserContact | undefined> {
  const [row] = await sql<UserContact[]>`
    select id, email, name from users
    where id = ${id} and email_verified_at is null`;
  return row;
}

/** Whether the person's address was proved (false for no such person). */
export async function isEmailVerified(sql: Db, id: string): Promise<boolean> {
  const [row] = await sql<{ verified: boolean }[]>`
    select email_verified_at is not null as verified from users where id = ${id}`;
  return row?.verified ?? false;
}

/**
 * The person's address, their row locked for the rest of the transaction: an address change
 * takes turns with a link of the account (`lockUserForLink`) and with another change.
 */
export async function lockUserEmail(
  tx: TransactionSql,
  id: string,
): Promise<Pick<UserRow, "email"> | undefined> {
  const [row] = await tx<Pick<UserRow, "email">[]>`
    select email from users where id = ${id} for update`;
  return row;
}

/**
 * Whether the address was proved and the account has a password, the row locked for the rest
 * of the transaction: a verification racing a link lands either before it or after.
 */
export async function lockUserForLink(
  tx: TransactionSql,
  id: string,
): Promise<(Pick<UserRow, "emailVerifiedAt"> & { hasPassword: boolean }) | undefined> {
  const [row] = await tx<(Pick<UserRow, "emailVerifiedAt"> & { hasPassword: boolean })[]>`
    select email_verified_at, password_hash is not null as has_password
    from users where id = ${id} for update`;
  return row;
}

/** A new account at signup; a taken address fails with the unique violation on `email`. */
export async function insertUser(
  tx: TransactionSql,
  input: Pick<UserRow, "id" | "email" | "name" | "passwordHash">,
): Promise<void> {
  await tx`
    insert into users (id, email, name, password_hash)
    values (${input.id}, ${input.email}, ${input.name}, ${input.passwordHash})`;
}

/**
 * A new account unless one has the address already (then undefined, and nothing changes): for
 * the flows that create people on their way (an accepted invitation, SSO, SCIM), which race
 * signups and each other. `emailVerified`: the address is proved as it is created.
 */
export async function insertUserIfAbsent(
  tx: TransactionSql,
  input: Pick<UserRow, "id" | "email" | "name" | "passwordHash"> & { emailVerified: boolean },
): Promise<UserByEmail | undefined> {
  const [row] = await tx<UserByEmail[]>`
    insert into users (id, email, name, password_hash, email_verified_at)
    values (${input.id}, ${input.email}, ${input.name}, ${input.passwordHash},
            ${input.emailVerified ? tx`now()` : null})
    on conflict (email) do nothing returning id, name, email_verified_at`;
  return row;
}

export async function setUserName(sql: Db, id: string, name: string): Promise<void> {
  await sql`update users set name = ${name} where id = ${id}`;
}

/** Drops the account's password (an account an unproven party may have set one on). */
export async function clearPasswordHash(tx: TransactionSql, id: string): Promise<void> {
  await tx`update users set password_hash = null where id = ${id}`;
}

/**
 * Sets the password if it is still `oldHash`, and answers whether it was: a change or reset
 * since the caller checked the old password wins.
 */
export async function replacePasswordHash(
  tx: TransactionSql,
  id: string,
  oldHash: string,
  newHash: string,
): Promise<boolean> {
  const [row] = await tx`
    update users set password_hash = ${newHash}
    where id = ${id} and password_hash = ${oldHash} returning id`;
  return row !== undefined;
}

/**
 * Sets the password of the person with the address, proving the address (a reset link reached
 * it); undefined if the account has another address now.
 */
export async function resetPasswordHash(
  tx: TransactionSql,
  input: { id: string; email: string; passwordHash: string },
): Promise<Pick<UserRow, "name" | "email"> | undefined> {
  const [row] = await tx<Pick<UserRow, "name" | "email">[]>`
    update users set password_hash = ${input.passwordHash},
                     email_verified_at = coalesce(email_verified_at, now())
    where id = ${input.id} and email = ${input.email}
    returning name, email`;
  return row;
}

/** Marks the person's address proved now, whatever it was before. */
export async function markEmailVerified(tx: TransactionSql, id: string): Promise<void> {
  await tx`update users set email_verified_at = now() where id = ${id}`;
}

/**
 * Marks the address proved if the account still has it, keeping the first time it was; answers
 * whether the account has it.
 */
export async function confirmEmail(
  tx: TransactionSql,
  id: string,
  email: string,
): Promise<boolean> {
  const [row] = await tx`
    update users set email_verified_at = coalesce(email_verified_at, now())
    where id = ${id} and email = ${email} returning id`;
  return row !== undefined;
}

/**
 * Marks the address proved if the account still has it and it was not proved yet; unlike
 * `confirmEmail` it writes nothing for an address already proved.
 */
export async function markEmailVerifiedIfUnverified(
  tx: TransactionSql,
  id: string,
  email: string,
): Promise<void> {
  await tx`
    update users set email_verified_at = now()
    where id = ${id} and email = ${email} and email_verified_at is null`;
}

/**
 * Moves the account to a new address, proved by the act (a link mailed to it was followed).
 * An address another account took meanwhile fails with the unique violation on `email`.
 */
export async function setVerifiedEmail(
  tx: TransactionSql,
  id: string,
  email: string,
): Promise<void> {
  await tx`update users set email = ${email}, email_verified_at = now() where id = ${id}`;
}
