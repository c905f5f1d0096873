import type { Problem } from "@oryn/client";

/** What went wrong, in words a person reads: the API's problem+json, or the network. */
export type Failure = { title: string; detail?: string; fields: string[]; status?: number };

function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "code" in value && "title" in value;
}

/** The problem's `code` (`slug_taken`, …), when `error` is a problem+json body. */
export function problemCode(error: unknown): string | undefined {
  return isProblem(error) ? error.code : undefined;
}

// Where the API's own words (title and detail) are written for a developer, a few codes get a
// sentence for the person at the screen; the rest show the API's title and detail as they are.
const sentences: Record<string, string> = {
  invalid_credentials: "The email or password is not right.",
  unauthorized: "Your session has ended. Sign in again.",
  invalid_token: "This link or session is no longer valid.",
  forbidden: "Your role does not allow this. Ask an owner or admin of your organisation.",
  precondition_failed:
    "Someone changed this since you opened it. Reload to see their version, then make your change again.",
  plan_limit_reached: "Your plan's limit is reached. Upgrade the plan on the Billing page.",
  tenant_restricted: "Your organisation is restricted to reading until billing is settled.",
  tenant_not_ready: "Your organisation is still being set up. Try again in a moment.",
  rate_limited: "Too many requests. Wait a moment and try again.",
  upstream_unavailable: "Part of the service is unavailable right now. Try again shortly.",
};

/** A failure from a client call's `error` (a problem+json body) and `response`. */
export function failureOf(error: unknown, response?: Response): Failure {
  if (isProblem(error)) {
    const title = sentences[error.code] ?? error.title;
    // A detail that only repeats the title ("A tenant needs at least one owner: make …") says
    // the rest alone, so the alert does not read the same words twice.
    const detail = error.detail?.startsWith(title)
      ? error.detail.slice(title.length).replace(/^[:.;,\s]+/, "")
      : error.detail;
    return {
      title,
      ...(detail ? { detail } : {}),
      fields: (error.errors ?? []).map((field) =>
        field.path ? `${field.path}: ${field.message}` : field.message,
      ),
      status: error.status,
    };
  }
  if (response) {
    return {
      title: `The server answered ${response.status} ${response.statusText}.`.replace(" .", "."),
      fields: [],
      status: response.status,
    };
  }
  return { title: "The server could not be reached. Check your connection.", fields: [] };
}

/** For a thrown error (fetch's network failure): the same shape. */
export function failureOfThrown(thrown: unknown): Failure {
  return thrown instanceof TypeError
    ? failureOf(undefined)
    : { title: thrown instanceof Error ? thrown.message : String(thrown), fields: [] };
}
