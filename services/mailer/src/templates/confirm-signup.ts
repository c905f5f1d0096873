import type { MailData } from "@oryn/shared";
import { type RenderedMail, renderLinkMail, type TemplateContext } from "./layout.ts";
import { appPages } from "./links.ts";

export function confirmSignup(
  data: MailData<"confirm-signup">,
  context: TemplateContext,
): RenderedMail {
  return renderLinkMail(context, data, {
    subject: `Confirm your ${context.productName} signup`,
    greeting: data.name,
    paragraphs: [
      `Someone asked to sign ${data.companyName} up for ${context.productName} with this email address. To create the account and the company's workspace, open this link.`,
    ],
    action: { label: "Confirm and create the workspace", page: appPages.confirmSignup },
    ifNotYou:
      "If you did not sign up, ignore this message: nothing is created until the link is opened.",
  });
}
