import type { MailData } from "@oryn/shared";
import { type RenderedMail, renderLinkMail, type TemplateContext } from "./layout.ts";
import { appPages } from "./links.ts";

export function invitation(data: MailData<"invitation">, context: TemplateContext): RenderedMail {
  const role = { owner: "an owner", admin: "an admin", member: "a member" }[data.role];
  return renderLinkMail(context, data, {
    subject: `${data.inviterName} invited you to ${data.tenantName} on ${context.productName}`,
    paragraphs: [
      `${data.inviterName} invited you to join ${data.tenantName} on ${context.productName} as ${role}.`,
      `If you already have an account with ${context.productName}, accept with its password; otherwise choose your name and a password.`,
    ],
    action: { label: `Join ${data.tenantName}`, page: appPages.acceptInvitation },
    ifNotYou: "If you did not expect this invitation, ignore this message.",
  });
}
