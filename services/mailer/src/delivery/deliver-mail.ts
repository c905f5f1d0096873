import { type MailMessage, UnrecoverableError } from "@oryn/shared";
import addressparser from "nodemailer/lib/addressparser";
import { renderTemplate } from "../templates/index.ts";
import type { MailTransport } from "./transport.ts";

export type MailSettings = { from: string; appUrl: string; productName: string };

export type DeliveryDeps = { transport: MailTransport; settings: MailSettings };

/**
 * Renders one message from its template and hands it to the transport. `requestedAt` (when the
 * job was enqueued) is the Date header, and the template's "on …": a retry an hour later still
 * tells when it happened. The Message-ID comes from the template and the producer's id, so a
 * message sent twice (a crash between the server's OK and the job's completion) carries one
 * Message-ID, which receiving systems deduplicate on.
 *
 * A refusal no retry can mend (the server answers 5xx to the recipient or the message) throws
 * UnrecoverableError; any other failure (connection, time-out, 4xx, login) is retried.
 */
export async function deliverMail(
  deps: DeliveryDeps,
  message: MailMessage,
  requestedAt: Date,
): Promise<void> {
  const rendered = renderTemplate(message, {
    appUrl: deps.settings.appUrl,
    productName: deps.settings.productName,
    requestedAt,
  });
  try {
    await deps.transport.send({
      message,
      link: rendered.link,
      requestedAt,
      mail: {
        from: deps.settings.from,
        to: message.to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        messageId: `<${message.template}.${message.id}@${senderDomain(deps.settings.from)}>`,
        date: requestedAt,
        // RFC 3834: out-of-office replies and the like are not sent back to a robot.
        headers: { "Auto-Submitted": "auto-generated" },
      },
    });
  } catch (error) {
    if (isRefusal(error)) throw new UnrecoverableError((error as Error).message);
    throw error;
  }
}

function senderDomain(from: string): string {
  const address = addressparser(from)[0]?.address ?? "";
  return address.slice(address.lastIndexOf("@") + 1) || "localhost";
}

/** nodemailer marks 5xx answers `permanent`; only those about the envelope or message are final. */
function isRefusal(error: unknown): boolean {
  const smtp = error as { code?: string; permanent?: boolean };
  return smtp.permanent === true && (smtp.code === "EENVELOPE" || smtp.code === "EMESSAGE");
}
