/**
 * The one error type every service throws for an expected failure. Its `code` is part of the
 * public contract (docs/api.md); the status comes from the code, so a handler cannot pair a code with
 * the wrong status by accident.
 */
const statusByCode = {
  invalid_json: 400,
  invalid_signature: 400,
  bad_request: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_token: 401,
  mfa_failed: 401,
  plan_limit_reached: 402,
  forbidden: 403,
  mfa_required: 403,
  sso_required: 403,
  tenant_restricted: 403,
  email_unverified: 403,
  cross_site_request: 403,
  not_found: 404,
  sso_not_configured: 404,
  method_not_allowed: 405,
  slug_taken: 409,
  email_taken: 409,
  tenant_not_ready: 409,
  conflict: 409,
  last_owner: 409,
  already_member: 409,
  export_not_ready: 409,
  domain_not_verified: 409,
  domain_taken: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  headers_too_large: 431,
  unsupported_media_type: 415,
  validation_failed: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  upstream_unavailable: 503,
  upstream_timeout: 504,
  not_ready: 503,
} as const;

export type ErrorCode = keyof typeof statusByCode;
export type ErrorStatus = (typeof statusByCode)[ErrorCode] | 502;

const titleByCode: Record<ErrorCode, string> = {
  invalid_json: "The body is not valid JSON",
  invalid_signature: "The signature does not verify",
  bad_request: "Bad request",
  unauthorized: "Authentication required",
  invalid_credentials: "Invalid email or password",
  invalid_token: "The token is invalid, expired or revoked",
  mfa_failed: "The code is wrong, used or expired",
  plan_limit_reached: "The plan's limit is reached",
  forbidden: "Your role does not allow this",
  mfa_required: "Turn on two-factor authentication first",
  sso_required: "Sign in with your organisation's single sign-on",
  tenant_restricted: "The tenant is restricted to reads",
  email_unverified: "Verify your email address first",
  cross_site_request: "A cookie session is used from the console's own origin only",
  not_found: "Not found",
  sso_not_configured: "Single sign-on is not set up for this organisation",
  method_not_allowed: "Method not allowed",
  slug_taken: "The slug is taken",
  email_taken: "The email is taken",
  tenant_not_ready: "The tenant is still being provisioned",
  conflict: "Conflict",
  last_owner: "A tenant needs at least one owner",
  already_member: "Already a member of this tenant",
  export_not_ready: "The export is not ready to download",
  domain_not_verified: "The domain's TXT record was not found",
  domain_taken: "Another organisation has verified this domain",
  precondition_failed: "The resource has changed",
  payload_too_large: "The body is too large",
  headers_too_large: "The request headers are too large",
  unsupported_media_type: "The body must be application/json",
  validation_failed: "The request does not fit the schema",
  idempotency_key_reused: "The idempotency key was used with another body",
  rate_limited: "Too many requests",
  internal_error: "Internal server error",
  upstream_unavailable: "An upstream service is unavailable",
  upstream_timeout: "An upstream service timed out",
  not_ready: "The service is not ready",
};

export type FieldError = { path: string; message: string };

export type ApiErrorOptions = {
  detail?: string;
  /** Only the upstream codes may choose their status (502 broken vs 503 down). */
  status?: 502 | 503;
  errors?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
};

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: ApiErrorOptions = {}) {
    const status = options.status ?? statusByCode[code];
    // A refusal (4xx) is an answer, not a fault: no one reads its stack trace, and capturing one
    // was 8% of the gateway's CPU answering 429s. A 5xx keeps its stack (and its cause's).
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    try {
      super(options.detail ?? titleByCode[code], { cause: options.cause });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
};

/** RFC 9457 body for an error; `type` is a URN so it never points at a page we don't serve. */
export function problemOf(error: ApiError, requestId: string): Problem {
  const title = titleByCode[error.code];
  return {
    type: `urn:oryn:problem:${error.code}`,
    title,
    status: error.status,
    detail: error.detail ?? title,
    code: error.code,
    requestId,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export const problemContentType = "application/problem+json";
