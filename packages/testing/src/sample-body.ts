/**
 * A request body that fits an operation's JSON Schema, built from the OpenAPI document alone:
 * examples where the schema gives them, otherwise the simplest value of each required field. The
 * security suite sends it so that a refusal it expects (401, 403, 404) cannot be masked by a 422;
 * the fuzz suite starts its hostile variations from it.
 */
type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  example?: unknown;
  default?: unknown;
  format?: string;
  minLength?: number;
  minItems?: number;
  minimum?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};
export type Operation = {
  "x-oryn-min-role"?: string;
  /** Set on what an API key may never do, whatever its role. */
  "x-oryn-people-only"?: boolean;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

export function sampleBody(document: OpenApiDocument, operation: Operation): unknown {
  const schema = operation.requestBody?.content?.["application/json"]?.schema;
  return schema ? sample(document, schema, 0) : undefined;
}

function sample(document: OpenApiDocument, schema: Schema, depth: number): unknown {
  if (depth > 20) throw new Error("schema too deep to sample");
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved ${schema.$ref}`);
    return sample(document, target, depth + 1);
  }
  if (schema.example !== undefined) return schema.example;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const variant = schema.anyOf ?? schema.oneOf;
  if (variant?.[0]) return sample(document, variant[0], depth + 1);
  if (schema.allOf) {
    return Object.assign({}, ...schema.allOf.map((part) => sample(document, part, depth + 1)));
  }
  const type = [schema.type ?? "object"].flat().find((candidate) => candidate !== "null");
  switch (type) {
    case "object": {
      const body: Record<string, unknown> = {};
      // A patch body has no required field but needs one: send the first it names.
      const names = schema.required?.length
        ? schema.required
        : Object.keys(schema.properties ?? {}).slice(0, 1);
      for (const name of names) {
        const property = schema.properties?.[name];
        if (property) body[name] = sample(document, property, depth + 1);
      }
      return body;
    }
    case "array":
      // A list that must not be empty (a webhook endpoint's event types) gets one sample item.
      return schema.minItems && schema.items ? [sample(document, schema.items, depth + 1)] : [];
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return false;
    default:
      return sampleString(schema);
  }
}

function sampleString(schema: Schema): string {
  switch (schema.format) {
    case "uuid":
      return crypto.randomUUID();
    case "email":
      return `sample-${crypto.randomUUID().slice(0, 8)}@example.test`;
    case "date-time":
      return new Date().toISOString();
    case "uri":
      return "https://hooks.example.test/sample";
    default:
      return "sample text".padEnd(schema.minLength ?? 0, "x");
  }
}

/** The names of the top-level fields an operation's JSON body may have, required or not. */
export function bodyFields(document: OpenApiDocument, operation: Operation): string[] {
  let schema = operation.requestBody?.content?.["application/json"]?.schema;
  for (let depth = 0; schema?.$ref && depth < 20; depth++) {
    schema = document.components?.schemas?.[schema.$ref.replace("#/components/schemas/", "")];
  }
  const parts = [schema, ...(schema?.allOf ?? [])];
  return [...new Set(parts.flatMap((part) => Object.keys(part?.properties ?? {})))];
}
