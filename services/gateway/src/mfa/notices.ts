import { enqueueMail, type Logger, type Queues } from "@oryn/shared";

/**
 * Tells the person by mail that their second factor changed, so a change they did not make is
 * noticed. Queued after the change committed; a failure is logged, never the request's.
 */
export async function noticeMfaChange(
  deps: { queues: Queues; logger: Logger },
  person: { email: string; name: string },
  change: "enabled" | "disabled" | "recovery_code_used",
): Promise<void> {
  try {
    await enqueueMail(deps, {
      template: "mfa-changed-notice",
      to: person.email,
      data: { name: person.name, change },
    });
  } catch (error) {
    // A name the template refuses (a control character) must not cost the notice.
    deps.logger.warn({ err: error }, "mfa notice refused; sending it without the name");
    await enqueueMail(deps, { template: "mfa-changed-notice", to: person.email, data: { change } });
  }
}
