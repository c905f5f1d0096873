import { ScimError as ScimPatchError, type ScimPatchOperation } from "scim-patch";
import { ScimError } from "./errors.ts";

const patchOpUrn = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

export type PatchedResource = "User" | "Group";

/**
 * The attribute paths a PATCH may name, after the optional core schema URN: scim-patch walks
 * any path it is given as object keys, so `__proto__.x` or `constructor.prototype.x` would write
 * into Object.prototype of the whole gateway. Only what we store is accepted.
 */
const knownPaths: Record<PatchedResource, RegExp> = {
  User: /^(?:userName|displayName|externalId|active|name(?:\.(?:givenName|familyName|formatted))?|emails(?:\[[^\]]*\])?(?:\.(?:value|type|primary|display))?)$/i,
  Group: /^(?:displayName|externalId|members(?:\[value eq "[^"]*"\])?)$/i,
};
/** The keys a path-less operation's value may carry (RFC 7644 §3.5.2.1/.3), dotted names too. */
const knownKeys: Record<PatchedResource, RegExp> = {
  User: /^(?:id|userName|displayName|externalId|active|name(?:\.(?:givenName|familyName|formatted))?|emails)$/i,
  Group: /^(?:id|displayName|externalId|members)$/i,
};
/**
 * Attributes Entra ID and Okta send by default that Oryn does not store: accepted and dropped
 * before scim-patch runs (they never reach an object key).
 */
const ignoredPaths: Record<PatchedResource, RegExp> = {
  User: /^(?:(?:title|preferredLanguage|nickName|userType|locale|timezone|profileUrl)|(?:phoneNumbers|addresses)(?:\[[^\]]*\])?(?:\.[A-Za-z]+)?|urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User(?::(?:employeeNumber|costCenter|organization|division|department|manager(?:\.value)?))?)$/i,
  Group: /^$/,
};
const urnPrefix = (resource: PatchedResource) =>
  new RegExp(`^urn:ietf:params:scim:schemas:core:2\\.0:${resource}:`, "i");

/** A name that reaches the prototype chain when used as a key: never an attribute of ours. */
function isForbiddenKey(key: string): boolean {
  return (
    key === "__proto__" || key === "constructor" || key === "prototype" || key in Object.prototype
  );
}

/** The names in a path, outside its quoted filter values, none of which may be forbidden. */
function hasForbiddenSegment(path: string): boolean {
  return path
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .split(/[^A-Za-z0-9_$-]+/)
    .some((segment) => segment !== "" && isForbiddenKey(segment));
}

/** Every key of a value, at any depth, must be a plain attribute name. */
function checkValueKeys(value: unknown, depth = 0): void {
  if (depth > 8)
    throw new ScimError(400, "An operation's value is nested too deeply", "invalidValue");
  if (Array.isArray(value)) {
    for (const item of value) checkValueKeys(item, depth + 1);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const key of Object.keys(value)) {
    if (hasForbiddenSegment(key)) {
      throw new ScimError(
        400,
        `An operation's value may not name ${JSON.stringify(key.slice(0, 100))}`,
        "invalidValue",
      );
    }
    checkValueKeys((value as Record<string, unknown>)[key], depth + 1);
  }
}

/** The operation as scim-patch may apply it, or null when it names only what we do not store. */
function checkedOperation(
  resource: PatchedResource,
  op: { op: string; path?: unknown; value?: unknown },
): ScimPatchOperation | null {
  const { path, value } = op;
  if (typeof path === "string") {
    const short = path.replace(urnPrefix(resource), "");
    if (hasForbiddenSegment(path)) {
      throw new ScimError(
        400,
        `${resource} has no attribute ${JSON.stringify(path.slice(0, 100))}`,
        "invalidPath",
      );
    }
    if (ignoredPaths[resource].test(path)) return null;
    if (!knownPaths[resource].test(short)) {
      throw new ScimError(
        400,
        `${resource} has no attribute ${JSON.stringify(path.slice(0, 100))}`,
        "invalidPath",
      );
    }
    checkValueKeys(value);
    return op as ScimPatchOperation;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ScimError(
      400,
      "A path-less operation's value is an object of attributes",
      "invalidValue",
    );
  }
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const short = key.replace(urnPrefix(resource), "");
    if (hasForbiddenSegment(key)) {
      throw new ScimError(
        400,
        `${resource} has no attribute ${JSON.stringify(key.slice(0, 100))}`,
        "invalidValue",
      );
    }
    if (ignoredPaths[resource].test(key)) continue;
    if (!knownKeys[resource].test(short)) {
      throw new ScimError(
        400,
        `${resource} has no attribute ${JSON.stringify(key.slice(0, 100))}`,
        "invalidValue",
      );
    }
    checkValueKeys(item);
    Object.defineProperty(kept, key, {
      value: item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { ...op, value: kept } as ScimPatchOperation;
}

/**
 * The operations of a PatchOp body (RFC 7644 §3.5.2), checked for shape, and for naming only
 * attributes the resource has, before scim-patch runs.
 */
export function patchOperationsOf(body: unknown, resource: PatchedResource): ScimPatchOperation[] {
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
  return message.Operations.flatMap((operation: unknown) => {
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
    const checked = checkedOperation(resource, { ...op, op: name });
    return checked ? [checked] : [];
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
