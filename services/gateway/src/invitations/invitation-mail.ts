import { randomUUID } from "node:crypto";
import type { MailRequest, Principal, TransactionSql } from "@oryn/shared";
import { findInvitationMailNames } from "@oryn/shared/control-plane/tables/invitations";
import { mailLineOr } from "../accounts/account-mail.ts";
import type { Invitation } from "./schemas.ts";

/**
 * The invitation as mailed to the invitee: who invites (a person's name, or an API key's), to
 * which tenant, with which role. Each sending gets a message id of its own, so a resend is a
 * new message.
 */
export async function invitationMail(
  tx: TransactionSql,
  principal: Principal,
  invitation: Invitation,
  token: string,
): Promise<MailRequest> {
  const names = await findInvitationMailNames(tx, principal.tenantId, principal.userId);
  return {
    template: "invitation",
    to: invitation.email,
    data: {
      token,
      inviterName: mailLineOr(names?.inviterName, "A colleague"),
      tenantName: mailLineOr(names?.tenantName, "your team"),
      role: invitation.role,
      expiresAt: invitation.expiresAt,
    },
    id: `${invitation.id}-${randomUUID()}`,
  };
}
