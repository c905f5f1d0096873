import type { ApiError } from "@oryn/shared";

export const scimErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";

/** RFC 7644 §3.12 `scimType`s we answer with. */
export type ScimType =
  | "invalidFilter"
  | "invalidSyntax"
  | "invalidPath"
  | "invalidValue"
  | "uniqueness"
  | "mutability"
  | "noTarget"
  | "tooMany";

/** An answer of the SCIM API: a SCIM error body, never problem+json. */
export class ScimError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly scimType: ScimType | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    scimType?: ScimType,
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.scimType = scimType;
    this.headers = headers;
  }

  body(): Record<string, unknown> {
    return {
      schemas: [scimErrorSchema],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.detail,
    };
  }
}

/** Our own errors (rate limits, a restricted tenant, the plan's member cap) in SCIM's shape. */
export function scimErrorOf(error: ApiError): ScimError {
  const detail = error.detail ?? error.message;
  return new ScimError(error.status, detail, undefined, error.headers);
}
