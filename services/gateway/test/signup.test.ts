import { jobCatalogue } from "@oryn/shared";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

const gateway = await gatewayInProcess();
afterAll(() => gateway.close());
const { sql } = gateway.deps;

async function countFor(rawSlug: string, email: string) {
  // PostgreSQL text cannot hold NUL, so that slug is looked for without it.
  const slug = rawSlug.replaceAll("\u0000", "");
  const [row] = await sql<{ tenants: number; users: number }[]>`
    select (select count(*)::int from tenants where slug = ${slug}) as tenants,
           (select count(*)::int from users where email = ${email}) as users`;
  return row;
}

describe("POST /v1/signup", () => {
  it("creates tenant, owner and membership, enqueues provisioning, and answers 202 with tokens", async () => {
    const body = uniqueSignup();
    const answer = await gateway.call("POST", "/v1/signup", { body });
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({
      tenant: { slug: body.company.slug, name: body.company.name, status: "provisioning" },
      user: { email: body.owner.email, name: "Owner" },
      tokens: { tokenType: "Bearer", expiresIn: 600 },
    });
    const tenantId = answer.json.tenant.id;
    const [user] = await sql`select password_hash from users where id = ${answer.json.user.id}`;
    expect(user?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const [membership] = await sql`select role from memberships where tenant_id = ${tenantId}`;
    expect(membership?.role).toBe("owner");
    const job = await gateway.deps.queues
      .get("provisioning")
      .getJob(jobCatalogue.provisionTenant.jobId({ tenantId }));
    expect(job?.data).toEqual({ tenantId, requestId: answer.headers.get("x-request-id") });
    const [audit] =
      await sql`select action, actor_id, request_id from audit_events where tenant_id = ${tenantId}`;
    expect(audit).toMatchObject({
      action: "signed_up",
      actorId: answer.json.user.id,
      requestId: answer.headers.get("x-request-id"),
    });
  });

  it("derives a slug from the company name when none is given", async () => {
    const body = uniqueSignup();
    const { slug: _, ...company } = body.company;
    const answer = await gateway.call("POST", "/v1/signup", {
      body: { ...body, company: { ...company, name: "Ünïcode & Co. GmbH" } },
    });
    expect(answer.status).toBe(202);
    expect(answer.json.tenant.slug).toMatch(/^unicode-co-gmbh-[0-9a-f]{6}$/);
  });

  const hostileSlugs = [
    "acme'; drop table tenants; --",
    'acme"',
    "x".repeat(10_000),
    "ÄCME",
    "acme\u0000",
    "😀",
    "-acme",
    "acme-",
    "Acme",
    "../etc/passwd",
    "acme corp",
    "",
  ];
  it.each(
    hostileSlugs.map((slug) => [
      slug.length > 40 ? `${slug.slice(0, 12)}… (${slug.length} chars)` : JSON.stringify(slug),
      slug,
    ]),
  )("refuses the slug %s with 422 and creates nothing", async (_, slug) => {
    const body = uniqueSignup({ slug });
    const answer = await gateway.call("POST", "/v1/signup", { body });
    expect(answer.status).toBe(422);
    expect(answer.json.code).toBe("validation_failed");
    expect(answer.json.errors).toContainEqual(expect.objectContaining({ path: "company.slug" }));
    expect(await countFor(slug, body.owner.email)).toEqual({ tenants: 0, users: 0 });
  });

  it("answers 409 slug_taken and leaves no user behind", async () => {
    const first = uniqueSignup();
    expect((await gateway.call("POST", "/v1/signup", { body: first })).status).toBe(202);
    const second = uniqueSignup({ slug: first.company.slug });
    const answer = await gateway.call("POST", "/v1/signup", { body: second });
    expect(answer.status).toBe(409);
    expect(answer.json.code).toBe("slug_taken");
    expect(await countFor(first.company.slug, second.owner.email)).toEqual({
      tenants: 1,
      users: 0,
    });
  });

  it("answers 409 email_taken and leaves no tenant behind", async () => {
    const first = uniqueSignup();
    expect((await gateway.call("POST", "/v1/signup", { body: first })).status).toBe(202);
    const second = uniqueSignup({ email: first.owner.email.toUpperCase() });
    const answer = await gateway.call("POST", "/v1/signup", { body: second });
    expect(answer.status).toBe(409);
    expect(answer.json.code).toBe("email_taken");
    expect(await countFor(second.company.slug, first.owner.email)).toEqual({
      tenants: 0,
      users: 1,
    });
  });

  it("lets exactly one of several concurrent signups for one slug in, leaving nothing of the others", async () => {
    const bodies = Array.from({ length: 6 }, () => uniqueSignup());
    const slug = bodies[0]?.company.slug ?? "";
    const answers = await Promise.all(
      bodies.map((body) =>
        gateway.call("POST", "/v1/signup", {
          body: { ...body, company: { ...body.company, slug } },
        }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    const winner = answers.find((answer) => answer.status === 202)?.json.user.email;
    for (const body of bodies) {
      const [row] = await sql<
        { users: number }[]
      >`select count(*)::int as users from users where email = ${body.owner.email}`;
      expect(row?.users).toBe(body.owner.email === winner ? 1 : 0);
    }
  });

  it("refuses malformed JSON (400), another media type (415) and a weak password (422)", async () => {
    const malformed = await gateway.call("POST", "/v1/signup", { raw: "{company:" });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({
      code: "invalid_json",
      status: 400,
      type: "urn:oryn:problem:invalid_json",
    });
    expect(malformed.headers.get("content-type")).toBe("application/problem+json");

    const form = await gateway.call("POST", "/v1/signup", {
      raw: "a=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(form.json.code).toBe("unsupported_media_type");

    const weak = await gateway.call("POST", "/v1/signup", {
      body: { ...uniqueSignup(), owner: { email: "a@b.test", password: "short", name: "A" } },
    });
    expect(weak.status).toBe(422);
    expect(weak.json.errors).toEqual([expect.objectContaining({ path: "owner.password" })]);
  });

  it("refuses a body over the limit with 413 payload_too_large", async () => {
    const small = await gatewayInProcess({ BODY_LIMIT_BYTES: "1024" });
    try {
      const body = uniqueSignup();
      const answer = await small.call("POST", "/v1/signup", {
        body: { ...body, company: { ...body.company, name: "x".repeat(2000) } },
      });
      expect(answer.status).toBe(413);
      expect(answer.json.code).toBe("payload_too_large");
      expect(await countFor(body.company.slug, body.owner.email)).toEqual({ tenants: 0, users: 0 });
    } finally {
      await small.close();
    }
  });
});
