import type { MailData } from "@oryn/shared";
import { type RenderedMail, renderLinkMail, type TemplateContext } from "./layout.ts";
import { appPages } from "./links.ts";

export function verifyEmail(
  data: MailData<"verify-email">,
  context: TemplateContext,
): RenderedMail {
  return renderLinkMail(context, data, {
    subject: `Confirm your email address for ${context.productName}`,
    greeting: data.name,
    paragraphs: [
      `Please confirm that this is your email address, so that ${context.productName} can reach you about your account.`,
    ],
    action: { label: "Confirm your email address", page: appPages.verifyEmail },
    ifNotYou: `If you did not create an account with ${context.productName}, ignore this message.`,
  });
}
