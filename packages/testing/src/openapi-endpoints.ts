import type { Oryn } from "./processes.ts";
import type { OpenApiDocument, Operation } from "./sample-body.ts";

const methods = ["get", "post", "put", "patch", "delete"] as const;

export type Endpoint = {
  method: string;
  path: string;
  operation: Operation;
  document: OpenApiDocument;
  /** Where the operation is implemented, for direct attacks past the gateway. */
  serviceUrl: string | undefined;
};

async function documentOf(url: string): Promise<OpenApiDocument> {
  const answer = await fetch(`${url}/openapi.json`);
  if (answer.status !== 200) throw new Error(`${url}/openapi.json answered ${answer.status}`);
  return (await answer.json()) as OpenApiDocument;
}

/**
 * Every operation of the gateway's, workspace's, billing's and the provisioner's (the operator
 * API) documents, with the service that
 * implements it: the suites generated from them (security, fuzz) then cover endpoints added later
 * without being told.
 */
export async function collectEndpoints(oryn: Oryn): Promise<Endpoint[]> {
  const sources = [
    { document: await documentOf(oryn.gatewayUrl), serviceUrl: undefined },
    {
      document: await documentOf(oryn.services.workspace.url),
      serviceUrl: oryn.services.workspace.url,
    },
    {
      document: await documentOf(oryn.services.billing.url),
      serviceUrl: oryn.services.billing.url,
    },
    {
      document: await documentOf(oryn.services.provisioner.url),
      serviceUrl: oryn.services.provisioner.url,
    },
  ];
  const byKey = new Map<string, Endpoint>();
  for (const { document, serviceUrl } of sources) {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of methods) {
        const operation = item[method];
        const key = `${method.toUpperCase()} ${path}`;
        if (!operation) continue;
        const known = byKey.get(key);
        // The gateway's merged document lists upstream routes too: remember who serves them.
        if (known) known.serviceUrl ??= serviceUrl;
        else
          byKey.set(key, { method: method.toUpperCase(), path, operation, document, serviceUrl });
      }
    }
  }
  return [...byKey.values()];
}

/**
 * The path with an id of the right kind in each `{param}`, found by the collection it belongs to
 * (the segment before it: `projects`, `tasks`, `members`, ...). `idFor` may return anything to
 * put there instead (the fuzz suite's hostile ids).
 */
export function pathWithIds(
  path: string,
  ids: Record<string, string>,
  idFor: (collection: string, id: string) => string = (_collection, id) => id,
): string {
  const segments = path.split("/");
  return segments
    .map((segment, index) => {
      if (!segment.startsWith("{")) return segment;
      const collection = segments[index - 1] ?? "";
      const id = ids[collection];
      if (!id) throw new Error(`no ${collection} id for ${path}: add one to the fixtures`);
      return idFor(collection, id);
    })
    .join("/");
}
