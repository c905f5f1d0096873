import { ApiError, type AppEnv, bearerOf, isDatabaseUnavailable, type Sql } from "@oryn/shared";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { assertTenantWritable } from "../access/restricted-tenants.ts";
import type { GatewayDeps } from "../deps.ts";
import { createWindow } from "../edge/window.ts";
import { auditContextOf } from "../lib/request.ts";
import { ScimError, scimErrorOf } from "./errors.ts";
import {
  createGroup,
  deleteGroup,
  getGroup,
  groupInputOf,
  listGroups,
  patchGroup,
  replaceGroup,
} from "./groups.ts";
import type { ScimContext } from "./memberships.ts";
import { patchOperationsOf } from "./patch.ts";
import { maxResults, resourceTypes, schemas, serviceProviderConfig } from "./resources.ts";
import { authenticateScimToken } from "./tokens.ts";
import {
  createUser,
  deleteUser,
  getUser,
  listUsers,
  patchUser,
  replaceUser,
  userInputOf,
} from "./users.ts";

export const scimBasePath = "/scim/v2";
const scimContentType = "application/scim+json";

type ScimEnv = AppEnv & { Variables: { scim: ScimContext } };

function scimJson(c: Context<ScimEnv>, body: unknown, status: 200 | 201 = 200): Response {
  return c.body(JSON.stringify(body), status, { "content-type": scimContentType });
}

function scimErrorResponse(c: Context<ScimEnv>, error: ScimError): Response {
  const headers: Record<string, string> = { "content-type": scimContentType, ...error.headers };
  return c.body(JSON.stringify(error.body()), error.status as 400, headers);
}

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) on top-level attributes. */
function projected<T extends Record<string, unknown>>(c: Context<ScimEnv>, resource: T): T {
  const list = (name: string) =>
    c.req
      .query(name)
      ?.split(",")
      .map((attribute) => attribute.trim().split(".")[0]?.toLowerCase() ?? "")
      .filter(Boolean);
  const only = list("attributes");
  const excluded = list("excludedAttributes");
  const always = new Set(["id", "schemas", "meta"]);
  return Object.fromEntries(
    Object.entries(resource).filter(([key]) => {
      const name = key.toLowerCase();
      if (always.has(name)) return true;
      if (only && only.length > 0) return only.includes(name);
      return !excluded?.includes(name);
    }),
  ) as T;
}

function paging(c: Context<ScimEnv>) {
  const number = (name: string, fallback: number) => {
    const value = c.req.query(name);
    if (value === undefined || value === "") return fallback;
    if (!/^-?\d{1,9}$/.test(value)) {
      throw new ScimError(400, `${name} must be an integer`, "invalidValue");
    }
    return Number(value);
  };
  // RFC 7644 §3.4.2.4: a startIndex below 1 is taken as 1, a negative count as 0.
  const startIndex = Math.max(1, number("startIndex", 1));
  const count = Math.min(maxResults, Math.max(0, number("count", 100)));
  return { startIndex, count, filter: c.req.query("filter") || undefined };
}

async function scimBody(c: Context<ScimEnv>): Promise<unknown> {
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== scimContentType && type !== "application/json") {
    throw new ScimError(415, `Send bodies as ${scimContentType} or application/json`);
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ScimError(400, "The body is not valid JSON", "invalidSyntax");
  }
}

/**
 * `/scim/v2` (RFC 7643/7644) for identity providers: outside `/v1`, with its own credential (a
 * tenant's SCIM token), its own per-token rate limit and body limit, and SCIM error bodies
 * (RFC 7644 §3.12) rather than problem+json. The tenant comes only from the token.
 */
export function createScimApp(deps: GatewayDeps): Hono<ScimEnv> {
  const scim = new Hono<ScimEnv>();
  const { config, redis } = deps;
  const sql: Sql = deps.sql;
  const perToken = createWindow({
    redis,
    keyPrefix: `${config.REDIS_PREFIX}:rl:scim-token`,
    quota: config.SCIM_RATE_LIMIT_PER_MINUTE,
    windowSeconds: 60,
    what: "SCIM requests per token",
  });
  const failures = createWindow({
    redis,
    keyPrefix: `${config.REDIS_PREFIX}:rl:scim-refused`,
    quota: config.SCIM_RATE_LIMIT_PER_MINUTE,
    windowSeconds: 60,
    what: "refused SCIM authentications per client",
  });

  scim.onError((error, c) => {
    if (error instanceof ScimError) return scimErrorResponse(c, error);
    if (error instanceof ApiError) return scimErrorResponse(c, scimErrorOf(error));
    if (isDatabaseUnavailable(error)) {
      return scimErrorResponse(c, new ScimError(503, "A database is unavailable"));
    }
    c.get("logger").error({ err: error }, "unhandled error in SCIM");
    return scimErrorResponse(c, new ScimError(500, "Internal error"));
  });

  scim.use("*", async (c, next) => {
    const token = bearerOf(c.req.header("authorization"));
    const found = token ? await authenticateScimToken(sql, token) : undefined;
    if (!found) {
      // Counted per client address, and only for refusals: a good token is never held up by
      // someone else's bad ones behind the same address.
      await failures.take(deps.clientIp(c as never));
      throw new ScimError(
        401,
        "A valid SCIM token is required (Authorization: Bearer …)",
        undefined,
        {
          "www-authenticate": 'Bearer realm="scim"',
        },
      );
    }
    await perToken.take(found.tokenId);
    const origin = new URL(c.req.url).origin;
    c.set("scim", {
      ...auditContextOf(c as never, deps),
      tenantId: found.tenantId,
      tokenId: found.tokenId,
      baseUrl: `${origin}${scimBasePath}`,
    });
    await next();
  });
  const limited = bodyLimit({
    maxSize: config.SCIM_BODY_LIMIT_BYTES,
    onError: () => {
      throw new ScimError(413, `Bodies are limited to ${config.SCIM_BODY_LIMIT_BYTES} bytes`);
    },
  });
  scim.use("*", (c, next) => (["GET", "HEAD"].includes(c.req.method) ? next() : limited(c, next)));

  scim.get("/ServiceProviderConfig", (c) =>
    scimJson(c, serviceProviderConfig(c.get("scim").baseUrl)),
  );
  scim.get("/ResourceTypes", (c) => {
    const types = resourceTypes(c.get("scim").baseUrl);
    return scimJson(c, listResponseOf(types));
  });
  scim.get("/ResourceTypes/:id", (c) => {
    const found = resourceTypes(c.get("scim").baseUrl).find((t) => t.id === c.req.param("id"));
    if (!found) throw new ScimError(404, "No such resource type");
    return scimJson(c, found);
  });
  scim.get("/Schemas", (c) => scimJson(c, listResponseOf(schemas(c.get("scim").baseUrl))));
  scim.get("/Schemas/:id", (c) => {
    const found = schemas(c.get("scim").baseUrl).find((s) => s.id === c.req.param("id"));
    if (!found) throw new ScimError(404, "No such schema");
    return scimJson(c, found);
  });

  scim.get("/Users", async (c) => {
    const page = await listUsers(sql, c.get("scim"), paging(c));
    return scimJson(c, { ...page, Resources: page.Resources.map((r) => projected(c, r)) });
  });
  scim.post("/Users", async (c) => {
    const context = c.get("scim");
    const input = userInputOf(await scimBody(c));
    await assertTenantWritable(sql, context.tenantId);
    // argon2 takes tens of milliseconds: not inside the transaction holding the tenant's lock.
    const user = await sql.begin((tx) => createUser(tx, context, input));
    c.header("location", user.meta.location);
    return scimJson(c, user, 201);
  });
  scim.get("/Users/:id", async (c) =>
    scimJson(c, projected(c, await getUser(sql, c.get("scim"), c.req.param("id")))),
  );
  scim.put("/Users/:id", async (c) => {
    const input = userInputOf(await scimBody(c));
    const user = await sql.begin((tx) => replaceUser(tx, c.get("scim"), c.req.param("id"), input));
    return scimJson(c, user);
  });
  scim.patch("/Users/:id", async (c) => {
    const operations = patchOperationsOf(await scimBody(c), "User");
    const user = await sql.begin((tx) =>
      patchUser(tx, c.get("scim"), c.req.param("id"), operations),
    );
    return scimJson(c, user);
  });
  scim.delete("/Users/:id", async (c) => {
    await sql.begin((tx) => deleteUser(tx, c.get("scim"), c.req.param("id")));
    return c.body(null, 204);
  });

  scim.get("/Groups", async (c) => {
    const excluded = c.req.query("excludedAttributes")?.toLowerCase().includes("members");
    const page = await listGroups(sql, c.get("scim"), { ...paging(c), members: !excluded });
    return scimJson(c, { ...page, Resources: page.Resources.map((r) => projected(c, r)) });
  });
  scim.post("/Groups", async (c) => {
    const input = groupInputOf(await scimBody(c));
    const group = await sql.begin((tx) => createGroup(tx, c.get("scim"), input));
    c.header("location", group.meta.location);
    return scimJson(c, group, 201);
  });
  scim.get("/Groups/:id", async (c) => {
    const excluded = c.req.query("excludedAttributes")?.toLowerCase().includes("members");
    const group = await getGroup(sql, c.get("scim"), c.req.param("id"), { members: !excluded });
    return scimJson(c, projected(c, group));
  });
  scim.put("/Groups/:id", async (c) => {
    const input = groupInputOf(await scimBody(c));
    const group = await sql.begin((tx) =>
      replaceGroup(tx, c.get("scim"), c.req.param("id"), input),
    );
    return scimJson(c, group);
  });
  scim.patch("/Groups/:id", async (c) => {
    const operations = patchOperationsOf(await scimBody(c), "Group");
    const group = await sql.begin((tx) =>
      patchGroup(tx, c.get("scim"), c.req.param("id"), operations),
    );
    return scimJson(c, group);
  });
  scim.delete("/Groups/:id", async (c) => {
    await sql.begin((tx) => deleteGroup(tx, c.get("scim"), c.req.param("id")));
    return c.body(null, 204);
  });

  scim.all("*", (c) => {
    throw new ScimError(404, `No SCIM endpoint ${c.req.method} ${c.req.path}`.slice(0, 200));
  });
  return scim;
}

function listResponseOf<T>(items: T[]) {
  return {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    totalResults: items.length,
    startIndex: 1,
    itemsPerPage: items.length,
    Resources: items,
  };
}
