import type { MailData } from "@oryn/shared";
import { type RenderedMail, renderLinkMail, type TemplateContext } from "./layout.ts";
import { appPages } from "./links.ts";

/** To the new address: the change applies only once this link is opened. */
export function emailChangeConfirm(
  data: MailData<"email-change-confirm">,
  context: TemplateContext,
): RenderedMail {
  return renderLinkMail(context, data, {
    subject: `Confirm your new email address for ${context.productName}`,
    greeting: data.name,
    paragraphs: [
      `Someone asked to use this address for their ${context.productName} account. The change applies once you confirm it.`,
    ],
    action: { label: "Confirm the new address", page: appPages.confirmEmailChange },
    ifNotYou: "If you did not ask for this, ignore this message: nothing changes.",
  });
}
