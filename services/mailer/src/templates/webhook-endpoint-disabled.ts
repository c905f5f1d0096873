import type { MailData } from "@oryn/shared";
import {
  appLink,
  formatInstant,
  type RenderedMail,
  renderMail,
  type TemplateContext,
} from "./layout.ts";
import { appPages } from "./links.ts";

/** To a tenant's admins: their endpoint kept failing, so deliveries to it stopped. */
export function webhookEndpointDisabled(
  data: MailData<"webhook-endpoint-disabled">,
  context: TemplateContext,
): RenderedMail {
  return renderMail(context, {
    subject: `A webhook endpoint of ${data.tenantName} was disabled`,
    paragraphs: [
      `Deliveries to the webhook endpoint ${data.endpointUrl} of ${data.tenantName} have failed since ${formatInstant(data.failingSince)}, so ${context.productName} disabled it on ${formatInstant(context.requestedAt)}.`,
      "Events are still recorded. Once the endpoint answers again, enable it and replay what it missed.",
    ],
    action: { label: "Open your webhook endpoints", url: appLink(context, appPages.webhooks) },
  });
}
