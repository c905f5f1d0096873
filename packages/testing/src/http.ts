/** A JSON answer as tests look at it. */
export type Answer = { status: number; headers: Headers; json: any };

export type CallOptions = {
  token?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
};

/**
 * `call(method, path, options)` over any way of sending a Request: `app.request` in-process, or
 * `fetch` against a running gateway. `body` is sent as JSON, `raw` as given.
 */
export function jsonCaller(send: (path: string, init: RequestInit) => Promise<Response>) {
  return async (method: string, path: string, options: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = options.raw ?? JSON.stringify(options.body);
      headers["content-length"] ??= String(Buffer.byteLength(body));
    }
    const response = await send(path, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      // A download (an export's archive) is not JSON: its bytes are for fetch() to read.
      json:
        text && /json/.test(response.headers.get("content-type") ?? "")
          ? JSON.parse(text)
          : undefined,
    };
  };
}

/** Every item of a paginated list (`?limit=200&cursor=`), page after page. */
export async function listAll(
  call: ReturnType<typeof jsonCaller>,
  path: string,
  token: string,
): Promise<Array<Record<string, any>>> {
  const items: Array<Record<string, any>> = [];
  let cursor: string | null = null;
  do {
    const page: Answer = await call(
      "GET",
      `${path}?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      { token },
    );
    if (page.status !== 200) throw new Error(`${path}: ${page.status}`);
    items.push(...page.json.items);
    cursor = page.json.nextCursor;
  } while (cursor);
  return items;
}
