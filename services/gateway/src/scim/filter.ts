import type { Sql, SqlFragment, TransactionSql } from "@oryn/shared";
import { type Filter, parse } from "scim2-parse-filter";
import { ScimError } from "./errors.ts";

export type Fragment = SqlFragment;

/**
 * A SCIM filter (RFC 7644 §3.4.2.2) turned into a SQL condition over `columns`, a map from the
 * attributes we filter on (lower-cased) to column expressions we wrote: the client's attribute
 * names never reach SQL, values go as parameters. `scim2-parse-filter` parses; an attribute or
 * operator we do not store is a 400 `invalidFilter`, as the RFC asks.
 */
export function filterCondition(
  sql: Sql | TransactionSql,
  query: string,
  columns: Record<string, { column: Fragment; type: "text" | "uuid" | "boolean" }>,
): Fragment {
  let ast: Filter;
  try {
    ast = parse(query);
  } catch {
    throw new ScimError(
      400,
      `The filter cannot be parsed: ${query.slice(0, 200)}`,
      "invalidFilter",
    );
  }
  const condition = (filter: Filter, prefix = ""): Fragment => {
    switch (filter.op) {
      case "and":
      case "or": {
        const parts = filter.filters.map((part) => condition(part, prefix));
        return parts
          .slice(1)
          .reduce(
            (left, right) =>
              filter.op === "and" ? sql`(${left} and ${right})` : sql`(${left} or ${right})`,
            parts[0] ?? sql`true`,
          );
      }
      case "not":
        return sql`(not coalesce(${condition(filter.filter, prefix)}, false))`;
      case "[]":
        // `emails[type eq "work"]`: the inner filter is on the attribute's sub-attributes.
        if (prefix)
          throw new ScimError(400, "Nested value paths are not supported", "invalidFilter");
        return condition(filter.valFilter, `${filter.attrPath}.`);
      default:
        break;
    }
    // The schema URN may prefix the attribute (`urn:…:User:userName`).
    const name = `${prefix}${filter.attrPath}`.replace(
      /^urn:ietf:params:scim:schemas:core:2\.0:\w+:/i,
      "",
    );
    const attribute = columns[name.toLowerCase()];
    if (!attribute) {
      throw new ScimError(
        400,
        `Filtering on ${name.slice(0, 100)} is not supported`,
        "invalidFilter",
      );
    }
    const { column } = attribute;
    if (filter.op === "pr") return sql`(${column} is not null)`;
    const value = filter.compValue;
    if (attribute.type === "boolean") {
      if (typeof value !== "boolean" || (filter.op !== "eq" && filter.op !== "ne")) {
        throw new ScimError(
          400,
          `${name} compares with eq or ne to true or false`,
          "invalidFilter",
        );
      }
      return filter.op === "eq" ? sql`(${column} = ${value})` : sql`(${column} <> ${value})`;
    }
    // PostgreSQL text holds no NUL: such a value matches nothing we store, and is refused.
    if (typeof value !== "string" || value.includes("\u0000")) {
      throw new ScimError(400, `${name} compares with a string`, "invalidFilter");
    }
    if (attribute.type === "uuid") {
      if (filter.op !== "eq" && filter.op !== "ne") {
        throw new ScimError(400, `${name} compares with eq or ne`, "invalidFilter");
      }
      // An id that is no UUID matches nothing, rather than failing the cast.
      const matches = isUuid(value) ? sql`(${column} = ${value.toLowerCase()}::uuid)` : sql`false`;
      return filter.op === "eq" ? matches : sql`(not ${matches})`;
    }
    // Case-insensitive, as userName, displayName and emails are (RFC 7643 caseExact false).
    const lowered = sql`lower(${column})`;
    const like = (pattern: string) => sql`(${lowered} like ${pattern} escape '\\')`;
    const literal = value.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    switch (filter.op) {
      case "eq":
        return sql`(${lowered} = ${value.toLowerCase()})`;
      case "ne":
        return sql`(${lowered} is distinct from ${value.toLowerCase()})`;
      case "co":
        return like(`%${literal}%`);
      case "sw":
        return like(`${literal}%`);
      case "ew":
        return like(`%${literal}`);
      default:
        throw new ScimError(400, `${filter.op} is not supported on ${name}`, "invalidFilter");
    }
  };
  return condition(ast);
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a client's id can be one of ours: anything else is simply not found. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
