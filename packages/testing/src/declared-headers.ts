/**
 * Checks real answers against the response headers an OpenAPI document declares: each answer's
 * status must be declared for its operation, each header declared `required` must be on it (with
 * a value of the declared schema), and each header Oryn sends of its own must be declared there.
 * `unseen()` then names the declared headers that no answer carried where they are declared, so
 * a declaration cannot outlive the code that sent it.
 */

type Schema = { type?: string; format?: string; enum?: string[]; pattern?: string };
type Header = { required?: boolean; schema?: Schema; $ref?: string };
type DeclaredResponse = { headers?: Record<string, Header> };
type Operation = { operationId?: string; responses?: Record<string, DeclaredResponse> };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components?: { headers?: Record<string, Header> };
};

/** Headers Oryn sets itself (not the HTTP server's own, like Date or Content-Length). */
const ours =
  /^(etag|location|retry-after|ratelimit|ratelimit-policy|idempotent-replayed|x-request-id|x-oryn-.*)$/;

export function declaredHeaders(document: Document) {
  const templates = Object.keys(document.paths).map((path) => ({
    path,
    pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));
  const declared = new Set<string>();
  for (const item of Object.values(document.paths))
    for (const operation of Object.values(item))
      for (const response of Object.values(operation.responses ?? {}))
        for (const name of Object.keys(response.headers ?? {})) declared.add(name.toLowerCase());
  const seen = new Set<string>();
  const problems: string[] = [];

  function record(method: string, url: string, answer: Response): void {
    const path = new URL(url, "http://x").pathname;
    // The most specific template: `/v1/tenant/exports` before `/v1/tenant/exports/{id}`.
    const template = templates
      .filter((candidate) => candidate.pattern.test(path))
      .sort((a, b) => a.path.split("{").length - b.path.split("{").length)[0];
    const operation = template && document.paths[template.path]?.[method.toLowerCase()];
    const where = `${method} ${path} ${answer.status}`;
    if (!operation) return void problems.push(`${where}: no such operation`);
    const response = operation.responses?.[String(answer.status)];
    if (!response) return void problems.push(`${where}: status not declared`);
    const headers = new Map(
      Object.entries(response.headers ?? {}).map(([name, header]) => [
        name.toLowerCase(),
        resolve(document, header),
      ]),
    );
    for (const [name, header] of headers) {
      const value = answer.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: required ${name} missing`);
        continue;
      }
      seen.add(name);
      const wrong = misfit(value, header.schema ?? {});
      if (wrong) problems.push(`${where}: ${name}: ${JSON.stringify(value)} ${wrong}`);
    }
    for (const name of answer.headers.keys()) {
      if (ours.test(name) && !headers.has(name))
        problems.push(`${where}: ${name} sent, not declared`);
    }
  }

  return {
    record,
    problems: () => problems,
    /** Declared header names that no recorded answer carried where they are declared. */
    unseen: () => [...declared].filter((name) => !seen.has(name)),
  };
}

/** A `#/components/headers/<name>` reference, followed. */
function resolve(document: Document, header: Header): Header {
  const name = header.$ref?.replace("#/components/headers/", "");
  return name === undefined ? header : (document.components?.headers?.[name] ?? {});
}

function misfit(value: string, schema: Schema): string | undefined {
  if (schema.type === "integer" && !/^\d+$/.test(value)) return "is not an integer";
  if (schema.enum && !schema.enum.includes(value)) return `is not one of ${schema.enum}`;
  if (schema.pattern && !new RegExp(schema.pattern).test(value))
    return `does not match ${schema.pattern}`;
  if (schema.format === "uuid" && !/^[0-9a-f-]{36}$/i.test(value)) return "is not a uuid";
  return undefined;
}
