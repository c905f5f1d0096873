/**
 * No Docker engine runs here, so the Dockerfile, .dockerignore and docker-compose.yml are checked
 * by reading them: every service the compose file builds has its Dockerfile stage and the right
 * command, every environment parses with that service's own schema, every URL reaches a compose
 * service on the port it listens on, health checks really pass and fail, and start order is sound.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { builtinModules } from "node:module";
import type { AddressInfo } from "node:net";
import { join, relative, resolve } from "node:path";
import { migrateEnv, parseConfig } from "@oryn/shared";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { billingEnv } from "../services/billing/src/env.ts";
import { gatewayEnv } from "../services/gateway/src/env.ts";
import { mailerEnv } from "../services/mailer/src/env.ts";
import { provisionerEnv } from "../services/provisioner/src/env.ts";
import { webhooksEnv } from "../services/webhooks/src/env.ts";
import { workspaceEnv } from "../services/workspace/src/env.ts";

const root = resolve(import.meta.dirname, "..");

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mapping(value: unknown, where: string): Mapping {
  if (!isMapping(value)) throw new Error(`${where} is not a mapping`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// What the compose file should hold.

const nodeServices = {
  gateway: { schema: gatewayEnv, main: "services/gateway/src/main.ts" },
  workspace: { schema: workspaceEnv, main: "services/workspace/src/main.ts" },
  billing: { schema: billingEnv, main: "services/billing/src/main.ts" },
  provisioner: { schema: provisionerEnv, main: "services/provisioner/src/main.ts" },
  mailer: { schema: mailerEnv, main: "services/mailer/src/main.ts" },
  webhooks: { schema: webhooksEnv, main: "services/webhooks/src/main.ts" },
  migrate: { schema: migrateEnv, main: "packages/shared/src/migrations/cli.ts" },
};
type NodeServiceName = keyof typeof nodeServices;
const nodeServiceNames = Object.keys(nodeServices) as NodeServiceName[];
/** Servers that stay up; `migrate` runs once and exits. */
const longRunningNodeServices = [
  "gateway",
  "workspace",
  "billing",
  "provisioner",
  "mailer",
  "webhooks",
] as const;
/** The services that generate development secrets; the mailer has none (SMTP_URL is given). */
const servicesWithSecrets = longRunningNodeServices.filter((name) => name !== "mailer");
const expectedServices = ["postgres", "redis", "mailpit", ...nodeServiceNames];

/** Ports the images listen on (Mailpit: its SMTP port; the web inbox is 8025). */
const imagePorts: Record<string, number> = { postgres: 5432, redis: 6379, mailpit: 1025 };
/** URLs for people's browsers, not for containers: they name the host's published ports. */
const browserUrlSettings = ["APP_URL", "PUBLIC_URL"];
const defaultPorts: Record<string, number> = {
  "postgres:": 5432,
  "postgresql:": 5432,
  "redis:": 6379,
  "rediss:": 6379,
  "http:": 80,
  "https:": 443,
};

/** Settings two services must agree on, or they talk past each other. */
const sharedSettings = [
  "NODE_ENV",
  "SECRETS_DIR",
  "DATABASE_URL",
  "REDIS_URL",
  "REDIS_PREFIX",
  "TENANT_DATABASE_URL",
  "TENANT_DATABASE_SERVER",
  "TENANT_TEMPLATE_DATABASE",
  "TENANT_DB_PASSWORD_SECRET",
  "JWT_ISSUER",
  "JWT_AUDIENCE",
  "APP_URL",
];

const dependencyConditions = [
  "service_started",
  "service_healthy",
  "service_completed_successfully",
];

// ---------------------------------------------------------------------------------------------
// Reading docker-compose.yml.

const composeText = readFileSync(join(root, "docker-compose.yml"), "utf8");
// Compose resolves `<<` merge keys; the YAML 1.2 default does not, so ask for them.
const compose = mapping(parse(composeText, { merge: true }), "docker-compose.yml");
const services = mapping(compose.services, "services");
const serviceNames = Object.keys(services);

function service(name: string): Mapping {
  return mapping(services[name], `services.${name}`);
}

/** The variables compose passes to the container, as the strings the process will see. */
function environmentOf(name: string): Record<string, string> {
  const raw = service(name).environment;
  if (raw === undefined || raw === null) return {};
  const env: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const text = String(entry);
      const at = text.indexOf("=");
      if (at < 0) throw new Error(`${name}: ${text} takes its value from the host; set it here`);
      env[text.slice(0, at)] = text.slice(at + 1);
    }
    return env;
  }
  for (const [key, value] of Object.entries(mapping(raw, `${name}.environment`))) {
    if (typeof value === "string" || typeof value === "number") {
      env[key] = String(value);
    } else {
      throw new Error(
        `${name}.environment.${key} is ${JSON.stringify(value)}: quote it as a string ` +
          "(compose rejects booleans and passes an empty value through from the host)",
      );
    }
  }
  return env;
}

/** The configuration the service will run with: its compose environment through its schema. */
function settingsOf(name: NodeServiceName): Record<string, unknown> {
  return parseConfig(nodeServices[name].schema, environmentOf(name)) as Record<string, unknown>;
}

function isNodeService(name: string): name is NodeServiceName {
  return Object.hasOwn(nodeServices, name);
}

/** The port a compose service accepts connections on. */
function listeningPort(name: string): number | undefined {
  if (isNodeService(name)) {
    const port = settingsOf(name).PORT;
    return typeof port === "number" ? port : undefined;
  }
  const image = service(name).image;
  if (typeof image !== "string") return undefined;
  const repository = image.split("@")[0]?.split(":")[0]?.split("/").at(-1) ?? "";
  return imagePorts[repository];
}

function urlSettings(name: NodeServiceName): [string, URL][] {
  return Object.entries(settingsOf(name)).flatMap(([key, value]): [string, URL][] =>
    typeof value === "string" &&
    !browserUrlSettings.includes(key) &&
    /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
      ? [[key, new URL(value)]]
      : [],
  );
}

function dependsOn(name: string): Record<string, { condition: unknown }> {
  const raw = service(name).depends_on;
  if (raw === undefined) return {};
  if (Array.isArray(raw)) {
    // The short form means service_started: spell the condition out instead.
    return Object.fromEntries(
      raw.map((dependency) => [String(dependency), { condition: "service_started" }]),
    );
  }
  return Object.fromEntries(
    Object.entries(mapping(raw, `${name}.depends_on`)).map(([dependency, options]) => [
      dependency,
      { condition: isMapping(options) ? options.condition : undefined },
    ]),
  );
}

/** Services others wait for to *finish*: run-once jobs like `migrate`. */
const oneShotServices = new Set(
  serviceNames.flatMap((name) =>
    Object.entries(dependsOn(name))
      .filter(([, options]) => options.condition === "service_completed_successfully")
      .map(([dependency]) => dependency),
  ),
);
const longRunningServices = serviceNames.filter((name) => !oneShotServices.has(name));

function mountsOf(name: string): { source: string; target: string }[] {
  const raw = service(name).volumes;
  if (!Array.isArray(raw)) return [];
  return raw.map((volume) => {
    if (typeof volume === "string") {
      const [source = "", target = ""] = volume.split(":");
      return { source, target };
    }
    const long = mapping(volume, `${name}.volumes[]`);
    return { source: String(long.source ?? ""), target: String(long.target ?? "") };
  });
}

function publishedPorts(name: string): { published: string; target: string }[] {
  const raw = service(name).ports;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new Error(`${name}.ports is not a list`);
  return raw.map((port) => {
    if (isMapping(port))
      return { published: String(port.published ?? ""), target: String(port.target ?? "") };
    const parts = String(port).split("/")[0]?.split(":") ?? [];
    const target = parts.at(-1) ?? "";
    return { published: parts.length > 1 ? (parts.at(-2) ?? "") : "", target };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading the Dockerfile.

type Instruction = { keyword: string; args: string };
type Stage = { name: string | undefined; base: string; instructions: Instruction[] };

/** The stages, and the ARG defaults declared before the first FROM (usable in FROM lines). */
function parseDockerfile(text: string): { stages: Stage[]; globalArgs: Record<string, string> } {
  const logical: string[] = [];
  let current = "";
  for (const raw of text.split(/\r?\n/)) {
    // Comments (and parser directives) are whole lines; Docker drops them even mid-continuation.
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = "";
  }
  if (current.trim()) logical.push(current.trim());

  const stages: Stage[] = [];
  const globalArgs: Record<string, string> = {};
  for (const line of logical) {
    const match = /^(\S+)\s*([\s\S]*)$/.exec(line);
    const keyword = match?.[1]?.toUpperCase() ?? "";
    const args = match?.[2] ?? "";
    if (keyword === "ARG" && stages.length === 0) {
      const [name = "", ...value] = args.split("=");
      globalArgs[name.trim()] = value.join("=").trim();
    } else if (keyword === "FROM") {
      const words = args.split(/\s+/).filter((word) => !word.startsWith("--"));
      const named = words[1]?.toLowerCase() === "as";
      stages.push({
        base: words[0] ?? "",
        name: named ? words[2]?.toLowerCase() : undefined,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return { stages, globalArgs };
}

const { stages: dockerfile, globalArgs } = parseDockerfile(
  readFileSync(join(root, "Dockerfile"), "utf8"),
);

function stageNamed(name: string): Stage | undefined {
  return dockerfile.find((stage) => stage.name === name.toLowerCase());
}

/** A stage and the stages it is built FROM, nearest first. */
function stageChain(stage: Stage): Stage[] {
  const chain = [stage];
  let parent = dockerfile
    .slice(0, dockerfile.indexOf(stage))
    .find((s) => s.name === stage.base.toLowerCase());
  while (parent) {
    chain.push(parent);
    const index = dockerfile.indexOf(parent);
    const base = parent.base.toLowerCase();
    parent = dockerfile.slice(0, index).find((s) => s.name === base);
  }
  return chain;
}

/** The value of a setting such as CMD or USER as the built image has it (the last one wins). */
function effective(stage: Stage, keyword: string): string | undefined {
  for (const s of stageChain(stage)) {
    const found = s.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
    if (found) return found.args;
  }
  return undefined;
}

function instructionsOf(stage: Stage, keyword: string): string[] {
  return stageChain(stage)
    .reverse()
    .flatMap((s) =>
      s.instructions.filter((instruction) => instruction.keyword === keyword).map((i) => i.args),
    );
}

/** Source paths of a COPY or ADD, without its flags and destination. */
function copySources(args: string): string[] {
  const words = args.trim().startsWith("[")
    ? (JSON.parse(args) as string[])
    : args.split(/\s+/).filter((word) => !word.startsWith("--"));
  return words.slice(0, -1).map((source) => source.replace(/^\.\//, ""));
}

/** Whether COPY source `source` brings in `path` (a file or folder of the build context). */
function covers(source: string, path: string): boolean {
  const from = source.replace(/\/$/, "");
  return from === "." || path === from || path.startsWith(`${from}/`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The patch files pnpm applies to dependencies (pnpm-workspace.yaml's patchedDependencies). */
function dependencyPatches(): string[] {
  const workspace = mapping(
    parse(readFileSync(join(root, "pnpm-workspace.yaml"), "utf8")),
    "pnpm-workspace.yaml",
  );
  const patches = workspace.patchedDependencies;
  if (patches === undefined) return [];
  return Object.values(mapping(patches, "patchedDependencies")).map((path) =>
    String(path).replace(/^\.\//, ""),
  );
}

/**
 * Workspace package folders that go into the image, from the globs in pnpm-workspace.yaml: all
 * but the test kit, which only tests import and .dockerignore keeps out.
 */
const testKit = "packages/testing";

function workspacePackages(): string[] {
  const workspace = mapping(
    parse(readFileSync(join(root, "pnpm-workspace.yaml"), "utf8")),
    "pnpm-workspace.yaml",
  );
  const globs = Array.isArray(workspace.packages) ? workspace.packages.map(String) : [];
  return globs.flatMap((glob) => {
    if (!glob.endsWith("/*")) return existsSync(join(root, glob, "package.json")) ? [glob] : [];
    const parent = glob.slice(0, -2);
    return readdirSync(join(root, parent))
      .map((entry) => `${parent}/${entry}`)
      .filter((dir) => dir !== testKit && existsSync(join(root, dir, "package.json")));
  });
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory())
      return entry === "node_modules" || entry === "test" ? [] : sourceFiles(path);
    return /\.(m|c)?[jt]s$/.test(entry) && !/\.test\.[jt]s$/.test(entry) ? [path] : [];
  });
}

/** Packages a source file loads at run time (type-only imports are erased and load nothing). */
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  const statement =
    /(?:^|[\n;])\s*(import|export)\s+(type\s+[{*\w])?[\w\s{},*$]*?\bfrom\s*["']([^"']+)["']/g;
  for (const match of source.matchAll(statement))
    if (!match[2] && match[3]) specifiers.push(match[3]);
  for (const match of source.matchAll(/(?:^|[\n;])\s*import\s*["']([^"']+)["']/g))
    if (match[1]) specifiers.push(match[1]);
  for (const match of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g))
    if (match[1]) specifiers.push(match[1]);
  return specifiers
    .filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("/"))
    .filter(
      (specifier) =>
        !specifier.startsWith("node:") && !builtinModules.includes(specifier.split("/")[0] ?? ""),
    )
    .map((specifier) =>
      specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/"),
    );
}

// ---------------------------------------------------------------------------------------------
// Running a health check's command against a stand-in server.

async function serve(status: number): Promise<Server> {
  const server = createServer((request, response) => {
    response.statusCode = request.url === "/healthz" ? status : 404;
    response.end();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return server;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((done) => server.close(() => done()));
}

function exitCodeOf(args: string[]): Promise<number> {
  return new Promise((done) => {
    execFile(process.execPath, args, { timeout: 15_000 }, (error) => {
      const code = error && typeof error.code === "number" ? error.code : error ? -1 : 0;
      done(code);
    });
  });
}

// =============================================================================================

describe("docker-compose.yml", () => {
  it("defines postgres, redis, mailpit, migrate and the five services", () => {
    expect(serviceNames).toEqual(expect.arrayContaining(expectedServices));
  });

  it("is read literally by these tests: no `$` interpolation", () => {
    // `$$` is compose's escape for a literal `$`; any other `$` in a value would be replaced by
    // compose with the host's environment, which these tests do not model.
    const interpolated: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (typeof value === "string" && value.replaceAll("$$", "").includes("$")) {
        interpolated.push(path);
      } else if (Array.isArray(value)) {
        for (const [index, item] of value.entries()) walk(item, `${path}[${index}]`);
      } else if (isMapping(value)) {
        for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
      }
    };
    walk(compose, "compose");
    expect(interpolated).toEqual([]);
  });

  it("builds every image-less service from a Dockerfile stage named after it", () => {
    for (const name of serviceNames) {
      const definition = service(name);
      if (definition.build === undefined) {
        expect(typeof definition.image, `${name} has neither build nor image`).toBe("string");
        continue;
      }
      const build = mapping(definition.build, `${name}.build`);
      expect(resolve(root, String(build.context ?? ".")), `${name}.build.context`).toBe(root);
      expect(build.dockerfile ?? "Dockerfile", `${name}.build.dockerfile`).toBe("Dockerfile");
      expect(typeof build.target, `${name}.build.target`).toBe("string");
      expect(stageNamed(String(build.target)), `FROM ... AS ${String(build.target)}`).toBeDefined();
    }
    for (const name of nodeServiceNames) {
      expect(mapping(service(name).build, `${name}.build`).target, `${name}.build.target`).toBe(
        name,
      );
    }
  });

  for (const name of nodeServiceNames) {
    it(`gives ${name} an environment its schema accepts, with no unknown variable`, () => {
      expect(service(name).env_file, `${name}.env_file is not modelled here`).toBeUndefined();
      const env = environmentOf(name);
      expect(() => parseConfig(nodeServices[name].schema, env)).not.toThrow();
      const known = Object.keys(nodeServices[name].schema.shape);
      const unknown = Object.keys(env).filter((key) => !known.includes(key));
      expect(unknown, `variables ${name} does not read`).toEqual([]);
    });
  }

  it("runs the Node services in development, listening beyond loopback", () => {
    for (const name of longRunningNodeServices) {
      const settings = settingsOf(name);
      expect(["0.0.0.0", "::"], `${name} HOST`).toContain(settings.HOST);
      expect(settings.NODE_ENV, `${name} NODE_ENV`).toBe("development");
    }
  });

  it("points every URL at a compose service, on the port that service listens on", () => {
    for (const name of nodeServiceNames) {
      for (const [key, url] of urlSettings(name)) {
        const where = `${name} ${key}=${url.href}`;
        expect(serviceNames, where).toContain(url.hostname);
        const port = url.port ? Number(url.port) : defaultPorts[url.protocol];
        expect(port, where).toBe(listeningPort(url.hostname));
        // A credential-free address (TENANT_DATABASE_SERVER) logs in with per-tenant roles.
        if (url.protocol.startsWith("postgres") && url.username) {
          const server = environmentOf(url.hostname);
          expect(decodeURIComponent(url.username), `${where}: user`).toBe(
            server.POSTGRES_USER ?? "postgres",
          );
          expect(decodeURIComponent(url.password), `${where}: password`).toBe(
            server.POSTGRES_PASSWORD,
          );
        }
      }
    }
  });

  it("has workspace look for tenant databases on the server where the provisioner makes them", () => {
    const made = new URL(String(settingsOf("provisioner").TENANT_DATABASE_URL));
    const sought = new URL(String(settingsOf("workspace").TENANT_DATABASE_SERVER));
    expect(sought.host).toBe(made.host);
    expect(sought.username).toBe("");
  });

  it("agrees across services on the settings they share", () => {
    for (const key of sharedSettings) {
      const values = nodeServiceNames
        .filter((name) => Object.hasOwn(nodeServices[name].schema.shape, key))
        .map((name) => `${name}: ${String(settingsOf(name)[key])}`);
      const distinct = new Set(values.map((value) => value.slice(value.indexOf(": ") + 2)));
      expect(distinct.size, `${key} differs: ${values.join(", ")}`).toBeLessThanOrEqual(1);
    }
  });

  it("keeps the generated development secrets on one named volume every service mounts", () => {
    const declared = Object.keys(mapping(compose.volumes ?? {}, "volumes"));
    const sources = new Set<string>();
    for (const name of servicesWithSecrets) {
      const dir = String(settingsOf(name).SECRETS_DIR);
      expect(dir.startsWith("/"), `${name} SECRETS_DIR=${dir} must be absolute`).toBe(true);
      const mount = mountsOf(name).find((m) => m.target === dir);
      expect(mount, `${name} mounts a volume at ${dir}`).toBeDefined();
      expect(declared, `${name}: ${mount?.source} is a declared named volume`).toContain(
        mount?.source,
      );
      sources.add(mount?.source ?? "");
    }
    expect([...sources], "one volume for all").toHaveLength(1);
  });

  it("gives every long-running service a health check", () => {
    expect(longRunningServices).toEqual(
      expect.arrayContaining(["postgres", "redis", ...longRunningNodeServices]),
    );
    for (const name of longRunningServices) {
      const healthcheck = mapping(service(name).healthcheck, `${name}.healthcheck`);
      expect(healthcheck.disable, `${name}.healthcheck.disable`).not.toBe(true);
      const test = healthcheck.test;
      const words = Array.isArray(test) ? test : [test];
      expect(
        words.every((word) => typeof word === "string"),
        `${name}: every healthcheck word is a string`,
      ).toBe(true);
      expect(["CMD", "CMD-SHELL"], `${name}.healthcheck.test`).toContain(
        Array.isArray(test) ? test[0] : "CMD-SHELL",
      );
    }
    expect(JSON.stringify(service("postgres").healthcheck)).toContain("pg_isready");
    expect(JSON.stringify(service("redis").healthcheck)).toMatch(/redis-cli.*ping/);
  });

  for (const name of longRunningNodeServices) {
    it(`health-checks ${name} with node's fetch on its own /healthz, passing only when it answers 2xx`, async () => {
      const test = mapping(service(name).healthcheck, `${name}.healthcheck`).test;
      expect(
        Array.isArray(test) ? test.slice(0, 2) : test,
        "exec form: the slim image has no curl",
      ).toEqual(["CMD", "node"]);
      const args = (test as string[]).slice(2);
      const script = args[args.indexOf("-e") + 1] ?? "";
      expect(args.indexOf("-e"), "node -e <script>").toBeGreaterThanOrEqual(0);
      const urls = script.match(/https?:\/\/[^\s'"`)]+/g) ?? [];
      expect(urls).toHaveLength(1);
      const url = new URL(urls[0] ?? "");
      // 127.0.0.1, not localhost: localhost may resolve to ::1, which a 0.0.0.0 listener misses.
      expect(url.hostname).toBe("127.0.0.1");
      expect(Number(url.port)).toBe(listeningPort(name));
      expect(url.pathname).toBe("/healthz");

      const run = (port: number) =>
        exitCodeOf(["-e", script.replace(url.host, `127.0.0.1:${port}`)]);
      const healthy = await serve(200);
      const failing = await serve(503);
      const gone = await serve(200);
      const gonePort = portOf(gone);
      await close(gone);
      try {
        expect(await run(portOf(healthy)), "answers 200").toBe(0);
        expect(await run(portOf(failing)), "answers 503").not.toBe(0);
        expect(await run(gonePort), "nothing listening").not.toBe(0);
      } finally {
        await Promise.all([close(healthy), close(failing)]);
      }
    });
  }

  it("names existing services with valid conditions in every depends_on, without cycles", () => {
    for (const name of serviceNames) {
      const raw = service(name).depends_on;
      if (raw !== undefined)
        expect(isMapping(raw), `${name}.depends_on: use the long form with conditions`).toBe(true);
      for (const [dependency, { condition }] of Object.entries(dependsOn(name))) {
        const where = `${name} depends on ${dependency}`;
        expect(serviceNames, where).toContain(dependency);
        expect(dependencyConditions, where).toContain(condition);
        if (condition === "service_healthy") {
          expect(service(dependency).healthcheck, `${where}: it needs a healthcheck`).toBeDefined();
        }
      }
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      if (done.has(name)) return;
      expect(visiting.has(name), `depends_on cycle: ${[...path, name].join(" -> ")}`).toBe(false);
      visiting.add(name);
      for (const dependency of Object.keys(dependsOn(name))) visit(dependency, [...path, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of serviceNames) visit(name, []);
  });

  it("starts each service after what it needs", () => {
    for (const name of nodeServiceNames) {
      const dependencies = dependsOn(name);
      for (const [key, url] of urlSettings(name)) {
        // Databases and Redis must answer before start; JWKS too (workspace fetches the keys).
        if (!/^(postgres|postgresql|rediss?):$/.test(url.protocol) && key !== "JWKS_URL") continue;
        expect(
          dependencies[url.hostname]?.condition,
          `${name} (${key}) waits for ${url.hostname}`,
        ).toBe("service_healthy");
      }
      if (name !== "migrate" && Object.hasOwn(nodeServices[name].schema.shape, "DATABASE_URL")) {
        expect(dependencies.migrate?.condition, `${name} waits for migrations`).toBe(
          "service_completed_successfully",
        );
      }
    }
    expect(dependsOn("workspace").gateway?.condition).toBe("service_healthy");
  });

  it("restarts the servers and never the one-shot jobs", () => {
    expect([...oneShotServices]).toEqual(["migrate"]);
    for (const name of serviceNames) {
      const restart = service(name).restart;
      if (oneShotServices.has(name)) expect(restart, `${name}.restart`).toBe("no");
      else expect(["always", "unless-stopped", "on-failure"], `${name}.restart`).toContain(restart);
    }
  });

  it("publishes only the gateway, on 8080, and Mailpit's web inbox, on 8025", () => {
    expect(publishedPorts("gateway")).toContainEqual({
      published: "8080",
      target: String(listeningPort("gateway")),
    });
    expect(publishedPorts("mailpit")).toEqual([{ published: "8025", target: "8025" }]);
    for (const name of serviceNames.filter((n) => n !== "gateway" && n !== "mailpit")) {
      expect(publishedPorts(name), `${name} publishes no port`).toEqual([]);
    }
  });

  it("sends mail through Mailpit from a mailer that holds no database", () => {
    expect(new URL(String(settingsOf("mailer").SMTP_URL)).host).toBe(
      `mailpit:${imagePorts.mailpit}`,
    );
    expect(Object.keys(mailerEnv.shape)).not.toContain("DATABASE_URL");
    expect(mountsOf("mailer"), "no secrets volume either").toEqual([]);
  });
});

describe("Dockerfile", () => {
  it("builds on node:24-bookworm-slim", () => {
    const external = dockerfile.filter((stage) => !stageNamed(stage.base));
    expect(external.length).toBeGreaterThan(0);
    for (const stage of external) {
      const image = stage.base.replace(
        /^\$\{?(\w+)\}?$/,
        (_, name: string) => globalArgs[name] ?? "",
      );
      expect(image, `FROM ${stage.base} AS ${stage.name}`).toBe("node:24-bookworm-slim");
    }
  });

  for (const name of nodeServiceNames) {
    it(`has a ${name} target that runs ${nodeServices[name].main} as the node user`, () => {
      const stage = stageNamed(name);
      expect(stage, `FROM ... AS ${name}`).toBeDefined();
      if (!stage) return;
      const cmd = effective(stage, "CMD");
      expect(cmd, `${name} CMD`).toBeDefined();
      expect(JSON.parse(cmd ?? "null"), `${name} CMD in exec form`).toEqual([
        "node",
        nodeServices[name].main,
      ]);
      expect(
        effective(stage, "ENTRYPOINT"),
        `${name} keeps the image's entrypoint`,
      ).toBeUndefined();
      expect(
        existsSync(join(root, nodeServices[name].main)),
        `${nodeServices[name].main} exists`,
      ).toBe(true);
      expect(effective(stage, "USER"), `${name} USER`).toBe("node");
      expect(effective(stage, "WORKDIR"), `${name} WORKDIR`).toBe("/app");
    });
  }

  it("exposes the port each service listens on", () => {
    for (const name of longRunningNodeServices) {
      const stage = stageNamed(name);
      if (!stage) throw new Error(`no ${name} stage`);
      const exposed = instructionsOf(stage, "EXPOSE").flatMap((args) =>
        args.split(/\s+/).map((p) => p.split("/")[0]),
      );
      expect(exposed, `${name} EXPOSE`).toContain(String(listeningPort(name)));
    }
  });

  it("lets NODE_ENV be set at build and run time", () => {
    for (const name of nodeServiceNames) {
      const stage = stageNamed(name);
      if (!stage) throw new Error(`no ${name} stage`);
      expect(
        instructionsOf(stage, "ARG").some((args) => /^NODE_ENV(=|$)/.test(args)),
        `${name}: ARG NODE_ENV`,
      ).toBe(true);
      expect(
        instructionsOf(stage, "ENV").some((args) => /\bNODE_ENV=\$\{?NODE_ENV\}?/.test(args)),
      ).toBe(true);
    }
  });

  it("prepares the compose SECRETS_DIR for the node user", () => {
    const dir = String(settingsOf("gateway").SECRETS_DIR);
    for (const name of longRunningNodeServices) {
      const stage = stageNamed(name);
      if (!stage) throw new Error(`no ${name} stage`);
      const runs = instructionsOf(stage, "RUN");
      expect(
        runs.some((run) =>
          new RegExp(`chown\\s+(-R\\s+)?node(:node)?\\s+[^&;|]*${escapeRegExp(dir)}(\\s|$)`).test(
            run,
          ),
        ),
        `${name}: a RUN chowns ${dir} to node, so the named volume mounted there is writable`,
      ).toBe(true);
    }
  });

  it("installs production dependencies from the lockfile, every manifest copied before the sources", () => {
    const packages = workspacePackages();
    expect(packages.length).toBeGreaterThan(0);
    const withInstall = dockerfile.find((stage) =>
      stage.instructions.some((i) => i.keyword === "RUN" && /pnpm\s+(install|i)\b/.test(i.args)),
    );
    expect(withInstall, "a stage runs pnpm install").toBeDefined();
    if (!withInstall) return;
    const install = withInstall.instructions.findIndex(
      (i) => i.keyword === "RUN" && /pnpm\s+(install|i)\b/.test(i.args),
    );
    const installArgs = withInstall.instructions[install]?.args ?? "";
    expect(installArgs).toMatch(/--frozen-lockfile\b/);
    expect(installArgs).toMatch(/--prod\b/);
    expect(instructionsOf(withInstall, "RUN").join("\n")).toMatch(
      /npm\s+i(nstall)?\s+-g\s+(-E\s+)?pnpm@12\.4\.2\b/,
    );

    const copiedBefore = stageChain(withInstall)
      .reverse()
      .flatMap((stage) =>
        stage === withInstall ? stage.instructions.slice(0, install) : stage.instructions,
      )
      .filter((i) => i.keyword === "COPY")
      .flatMap((i) => copySources(i.args));
    for (const file of ["package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml"]) {
      expect(copiedBefore, `${file} is copied before the install`).toContain(file);
    }
    for (const patch of dependencyPatches()) {
      expect(
        copiedBefore.some((source) => covers(source, patch)),
        `${patch} is copied before the install, which fails without it`,
      ).toBe(true);
    }
    for (const dir of packages) {
      expect(copiedBefore, `${dir}/package.json is copied before the install`).toContain(
        `${dir}/package.json`,
      );
      // Copying the sources before the install would rebuild node_modules on every change.
      const early = copiedBefore.filter((source) => covers(source, `${dir}/src`));
      expect(early, `${dir}/src is copied after the install`).toEqual([]);
    }

    const copiedAnywhere = dockerfile.flatMap((stage) =>
      stage.instructions
        .filter((i) => i.keyword === "COPY" && !/--from=/.test(i.args))
        .flatMap((i) => copySources(i.args)),
    );
    for (const dir of packages) {
      const covered = copiedAnywhere.some((source) => covers(source, `${dir}/src`));
      expect(covered, `${dir}/src is copied into the image`).toBe(true);
    }
  });

  it("has every package a workspace package imports at run time among its production dependencies", () => {
    for (const dir of workspacePackages()) {
      const manifest = mapping(
        JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")),
        dir,
      );
      const dependencies = Object.keys(
        isMapping(manifest.dependencies) ? manifest.dependencies : {},
      );
      for (const file of sourceFiles(join(root, dir, "src"))) {
        for (const name of runtimeImports(readFileSync(file, "utf8"))) {
          expect(
            dependencies,
            `${relative(root, file)} imports ${name} (pnpm install --prod)`,
          ).toContain(name);
        }
      }
    }
  });

  it("reads type-only and value imports apart (the check above can fail)", () => {
    const source = [
      'import type { Logger } from "pino";',
      'import { type Redis, Cluster } from "ioredis";',
      'export type { Sql } from "postgres";',
      'import {\n  a,\n  b,\n} from "@scope/pkg/sub";',
      'import "side-effect";',
      'const lazy = await import("lazy");',
      'import { readFileSync } from "node:fs";',
      'import { join } from "path";',
      'import { local } from "./local.ts";',
    ].join("\n");
    expect(runtimeImports(source).sort()).toEqual(["@scope/pkg", "ioredis", "lazy", "side-effect"]);
  });
});

describe(".dockerignore", () => {
  const patterns = readFileSync(join(root, ".dockerignore"), "utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));

  /** Docker's matching: `*` and `?` within a path segment, `**` across segments, `!` re-includes. */
  function patternRegExp(pattern: string): RegExp {
    const text = pattern.replace(/^\/+/, "").replace(/\/+$/, "");
    let source = "";
    for (let index = 0; index < text.length; index++) {
      const char = text[index] ?? "";
      if (char === "*" && text[index + 1] === "*") {
        index++;
        if (text[index + 1] === "/") {
          index++;
          source += "(?:.*/)?";
        } else {
          source += ".*";
        }
      } else if (char === "*") {
        source += "[^/]*";
      } else if (char === "?") {
        source += "[^/]";
      } else {
        source += escapeRegExp(char);
      }
    }
    return new RegExp(`^${source}$`);
  }

  /** Whether a path of the build context is left out (a match on any parent folder counts). */
  function ignored(path: string): boolean {
    const parts = path.split("/");
    let excluded = false;
    for (const pattern of patterns) {
      const negated = pattern.startsWith("!");
      const regExp = patternRegExp(negated ? pattern.slice(1) : pattern);
      if (parts.some((_, index) => regExp.test(parts.slice(0, index + 1).join("/"))))
        excluded = !negated;
    }
    return excluded;
  }

  it("keeps dependencies, history, secrets, local settings and tests out of the build context", () => {
    for (const path of [
      "node_modules/yaml/package.json",
      "services/gateway/node_modules/hono/package.json",
      ".git/HEAD",
      ".secrets/jwt_signing_keys",
      "services/gateway/.secrets/jwt_signing_keys",
      ".env",
      ".env.local",
      "test/docker-compose.test.ts",
      "services/gateway/test/signup.test.ts",
      "coverage/index.html",
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it("keeps every file the image needs", () => {
    const needed = [
      "package.json",
      "pnpm-lock.yaml",
      "pnpm-workspace.yaml",
      ...dependencyPatches(),
    ];
    for (const dir of workspacePackages()) {
      needed.push(`${dir}/package.json`);
      for (const file of sourceFiles(join(root, dir, "src"))) needed.push(relative(root, file));
      // Migrations are SQL files read at run time, next to the code.
      const migrations = join(root, dir, "src", "migrations");
      if (existsSync(migrations)) {
        for (const folder of readdirSync(migrations)) {
          if (!statSync(join(migrations, folder)).isDirectory()) continue;
          for (const file of readdirSync(join(migrations, folder)))
            needed.push(`${dir}/src/migrations/${folder}/${file}`);
        }
      }
    }
    expect(needed.length).toBeGreaterThan(10);
    for (const path of needed) expect(ignored(path), `${path} reaches the image`).toBe(false);
    expect(ignored(`${testKit}/package.json`), "the test kit stays out of the image").toBe(true);
  });
});
