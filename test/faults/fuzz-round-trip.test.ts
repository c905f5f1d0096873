/**
 * Fuzz: text a tenant stores comes back exactly as sent (after the documented trim of names and
 * titles; descriptions keep every character): quotes, SQL fragments, emoji, any Unicode plane,
 * decomposed accents, separators, through create, read, update and read again. NUL and lone
 * surrogates are left out: the API refuses them with a 422 (packages/shared/src/openapi.ts).
 */

import type { Answer } from "@oryn/testing/http";
import { invitationToken } from "@oryn/testing/queued-mail";
import { testPassword } from "@oryn/testing/wait";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roundTripText } from "./fuzz-hostile.ts";
import { type FuzzStack, fuzzRuns, fuzzSeed, startFuzzStack } from "./fuzz-stack.ts";
import { recordFault } from "./report.ts";

let stack: FuzzStack;
const counts = { cases: 0, requests: 0, serverErrors: 0, mismatches: 0 };
const fields = new Set<string>();

beforeAll(async () => {
  stack = await startFuzzStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** A name or title as the API stores it: trimmed, within its bounds. */
const trimmedText = (max: number) =>
  roundTripText.filter((text) => text.trim().length > 0 && text.trim().length <= max);

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  counts.requests++;
  const answer = await stack.call(method, path, {
    token: stack.tenantA.owner.token,
    ...options,
  });
  if (answer.status >= 500) counts.serverErrors++;
  return answer;
}

function expectStatus(answer: Answer, status: number, what: string): void {
  expect(answer.status, `${what}: ${JSON.stringify(answer.json)}`).toBe(status);
}

/** Compares what came back with what was sent, counting a difference as data lost. */
function expectSame(field: string, got: unknown, sent: string): void {
  fields.add(field);
  if (got !== sent) counts.mismatches++;
  expect(got, `${field} did not round-trip`).toBe(sent);
}

async function check(property: fc.IAsyncProperty<[unknown, ...unknown[]]>, runs: number) {
  await fc.assert(property, { seed: fuzzSeed, numRuns: runs });
  counts.cases += runs;
}

describe("fuzz: hostile text round-trips exactly", () => {
  it("in project names and descriptions", async () => {
    await check(
      fc.asyncProperty(
        trimmedText(200),
        fc.oneof(fc.constant(""), roundTripText),
        trimmedText(200),
        roundTripText,
        async (name, description, newName, newDescription) => {
          const created = await call("POST", "/v1/projects", { body: { name, description } });
          expectStatus(created, 201, "creating the project");
          const path = `/v1/projects/${created.json.id}`;
          expectSame("project name (create)", created.json.name, name.trim());
          const read = await call("GET", path);
          expectSame("project name (read)", read.json.name, name.trim());
          expectSame("project description (read)", read.json.description, description);
          const updated = await call("PATCH", path, {
            body: { name: newName, description: newDescription },
            headers: { "if-match": read.headers.get("etag") ?? "" },
          });
          expectStatus(updated, 200, "updating the project");
          const reread = await call("GET", path);
          expectSame("project name (update)", reread.json.name, newName.trim());
          expectSame("project description (update)", reread.json.description, newDescription);
          expectStatus(await call("DELETE", path), 204, "deleting the project");
        },
      ),
      fuzzRuns(100),
    );
  });

  it("in task titles", async () => {
    const project = `/v1/projects/${stack.tenantA.ids.projects}/tasks`;
    await check(
      fc.asyncProperty(trimmedText(500), trimmedText(500), async (title, newTitle) => {
        const created = await call("POST", project, { body: { title } });
        expectStatus(created, 201, "creating the task");
        const path = `${project}/${created.json.id}`;
        expectSame("task title (read)", (await call("GET", path)).json.title, title.trim());
        expectStatus(
          await call("PATCH", path, { body: { title: newTitle } }),
          200,
          "updating the task",
        );
        expectSame("task title (update)", (await call("GET", path)).json.title, newTitle.trim());
        expectStatus(await call("DELETE", path), 204, "deleting the task");
      }),
      fuzzRuns(100),
    );
  });

  it("in API key names", async () => {
    await check(
      fc.asyncProperty(trimmedText(100), async (name) => {
        const created = await call("POST", "/v1/api-keys", { body: { name, role: "member" } });
        expectStatus(created, 201, "creating the key");
        const listed = (await call("GET", "/v1/api-keys?limit=100")).json.items as {
          id: string;
          name: string;
        }[];
        expectSame(
          "API key name",
          listed.find((key) => key.id === created.json.id)?.name,
          name.trim(),
        );
        expectStatus(
          await call("DELETE", `/v1/api-keys/${created.json.id}`),
          204,
          "deleting the key",
        );
      }),
      fuzzRuns(40),
    );
  });

  it("in company and owner names at signup (and the slug made from the name)", async () => {
    await check(
      fc.asyncProperty(trimmedText(200), trimmedText(200), async (company, owner) => {
        const signup = await call("POST", "/v1/signup", {
          token: "",
          body: {
            company: { name: company },
            owner: {
              email: `o-${crypto.randomUUID().slice(0, 8)}@example.test`,
              password: testPassword,
              name: owner,
            },
          },
        });
        expectStatus(signup, 202, "signing up");
        const token = signup.json.tokens.accessToken as string;
        const tenant = await call("GET", "/v1/tenant", { token });
        expectSame("company name", tenant.json.name, company.trim());
        // The slug made from any name still fits the rule for a slug a person chooses.
        expect(tenant.json.slug).toMatch(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/);
        const members = (await call("GET", "/v1/members", { token })).json?.items as
          | { name: string }[]
          | undefined;
        expectSame("owner name", members?.[0]?.name, owner.trim());
      }),
      fuzzRuns(8),
    );
  });

  it("in member names", async () => {
    await check(
      fc.asyncProperty(trimmedText(200), async (name) => {
        const invitation = await call("POST", "/v1/invitations", {
          body: { email: `m-${crypto.randomUUID().slice(0, 8)}@example.test`, role: "member" },
        });
        expectStatus(invitation, 201, "inviting");
        const accepted = await call("POST", "/v1/invitations/accept", {
          token: "",
          body: {
            token: await invitationToken(stack.run, invitation),
            name,
            password: testPassword,
          },
        });
        expectStatus(accepted, 200, "accepting");
        const userId = JSON.parse(
          Buffer.from(accepted.json.accessToken.split(".")[1], "base64url").toString(),
        ).sub as string;
        const members = (await call("GET", "/v1/members?limit=100")).json.items as {
          userId: string;
          name: string;
        }[];
        expectSame("member name", members.find((m) => m.userId === userId)?.name, name.trim());
        expectStatus(await call("DELETE", `/v1/members/${userId}`), 204, "removing the member");
      }),
      fuzzRuns(20),
    );
    recordFault({
      fault: "fuzz: hostile text round-trips",
      provoked: counts.cases,
      requests: counts.requests,
      clientErrors: counts.serverErrors,
      dataLost: counts.mismatches,
      crossTenantLeaks: 0,
      detail: { cases: counts.cases, fields: [...fields], seed: fuzzSeed },
    });
  });
});
