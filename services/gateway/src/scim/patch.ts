import { ScimError as ScimPatchError, type ScimPatchOperation } from "scim-patch";
import { ScimError } from "./errors.ts";

const patchOpUrn = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** The operations of a PatchOp body (RFC 7644 §3.5.2), checked for shape before scim-patch runs. */
export function patchOperationsOf(body: unknown): ScimPatchOperation[] {
  const message = body as { schemas?: unknown; Operations?: unknown } | null;
  if (
    typeof message !== "object" ||
    message === null ||
    !Array.isArray(message.schemas) ||
    !message.schemas.includes(patchOpUrn) ||
    !Array.isArray(message.Operations)
  ) {
    throw new ScimError(400, `A PATCH body is a ${patchOpUrn} with Operations`, "invalidSyntax");
  }
  if (message.Operations.length > 1000) {
    throw new ScimError(400, "At most 1000 operations in one PATCH", "tooMany");
  }
  return message.Operations.map((operation: unknown) => {
    const op = operation as { op?: unknown; path?: unknown; value?: unknown } | null;
    const name = typeof op?.op === "string" ? op.op.toLowerCase() : "";
    if (!op || !["add", "remove", "replace"].includes(name)) {
      throw new ScimError(400, "Each operation's op is add, remove or replace", "invalidSyntax");
    }
    if (op.path !== undefined && typeof op.path !== "string") {
      throw new ScimError(400, "An operation's path is a string", "invalidPath");
    }
    if (name === "remove" && !op.path) {
      throw new ScimError(400, "A remove operation needs a path", "noTarget");
    }
    return { ...op, op: name } as ScimPatchOperation;
  });
}

/** What scim-patch threw, as the SCIM error it stands for. */
export function patchFailure(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof ScimPatchError) {
    const scimType = error.scimCode === "noTarget" ? "noTarget" : "invalidPath";
    return new ScimError(400, error.message.slice(0, 300), scimType);
  }
  return new ScimError(400, "The operations cannot be applied", "invalidValue");
}
