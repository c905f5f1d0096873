import { type MailMessage, type MailTemplate, mailMessage, mailTemplateNames } from "@oryn/shared";
import { describe, expect, it } from "vitest";
import { mailBackoff } from "../src/delivery/backoff.ts";
import { renderTemplate, type TemplateContext } from "../src/templates/index.ts";

const context: TemplateContext = {
  appUrl: "https://app.example.test/base",
  productName: "Acme Cloud",
  requestedAt: new Date("2026-12-01T09:30:00Z"),
};
const token = "oinv_0123456789abcdefABCDEF-_.";
const expiresAt = "2026-12-08T09:30:00.000Z";

/** One message per template; a template added without a sample here fails the first test. */
const samples: { [T in MailTemplate]: Extract<MailMessage, { template: T }>["data"] } = {
  "verify-email": { token, name: "Ada", expiresAt },
  "reset-password": { token, name: "Ada", expiresAt },
  "confirm-signup": { token, name: "Ada", companyName: "Acme", expiresAt },
  "signup-existing-account": { name: "Ada", companyName: "Acme" },
  invitation: { token, inviterName: "Ada", tenantName: "Acme", role: "admin", expiresAt },
  "email-change-confirm": { token, name: "Ada", expiresAt },
  "email-changed-notice": { newEmail: "ada@new.example.test", name: "Ada" },
  "password-changed-notice": { name: "Ada" },
  "mfa-changed-notice": { name: "Ada", change: "disabled" },
  "webhook-endpoint-disabled": {
    tenantName: "Acme",
    endpointUrl: "https://hooks.acme.test/oryn",
    failingSince: "2026-11-30T08:00:00Z",
  },
};

const render = <T extends MailTemplate>(template: T, data: (typeof samples)[T]) =>
  renderTemplate({ id: "m1", template, to: "ada@example.test", data } as MailMessage, context);

/** The links of an HTML part (every href). */
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]);

describe("templates", () => {
  it("has a sample, a subject, a text and an HTML part for every template of the catalogue", () => {
    expect(Object.keys(samples).sort()).toEqual([...mailTemplateNames].sort());
    for (const template of mailTemplateNames) {
      const message = { id: "m1", template, to: "ada@example.test", data: samples[template] };
      expect(mailMessage.safeParse(message).success, template).toBe(true);
      const mail = render(template, samples[template]);
      expect(mail.subject, template).toMatch(/\S/);
      expect(mail.subject, template).not.toMatch(/[\r\n]/);
      expect(mail.text, template).toMatch(/^Hello/);
      expect(mail.text, template).toContain("-- \nAcme Cloud\nhttps://app.example.test/base\n");
      expect(mail.html, template).toMatch(/^<!doctype html>/);
      expect(mail.html, template).toContain("Acme Cloud");
      // Every link leads into the web app.
      for (const href of hrefs(mail.html))
        expect(href, template).toMatch(/^https:\/\/app\.example\.test\/base\//);
    }
  });

  it("puts a link with the token, under APP_URL, in the text of every message that carries one", () => {
    const pages: Partial<Record<MailTemplate, string>> = {
      "verify-email": "/verify-email",
      "reset-password": "/reset-password",
      "confirm-signup": "/confirm-signup",
      invitation: "/accept-invitation",
      "email-change-confirm": "/verify-email",
    };
    for (const [template, page] of Object.entries(pages) as [MailTemplate, string][]) {
      const mail = render(template, samples[template]);
      const link = `https://app.example.test/base${page}?token=${token}`;
      expect(mail.link, template).toBe(link);
      expect(mail.text.split("\n"), template).toContain(link);
      expect(new URL(link).searchParams.get("token")).toBe(token);
      expect(hrefs(mail.html), template).toContain(link);
      expect(mail.text, template).toContain("This link works until 2026-12-08 09:30 UTC, once.");
    }
  });

  it("says what happened and when in notices", () => {
    expect(render("mfa-changed-notice", { change: "disabled" }).text).toContain(
      "On 2026-12-01 09:30 UTC, two-factor authentication was turned off for your account.",
    );
    const disabled = render("webhook-endpoint-disabled", samples["webhook-endpoint-disabled"]);
    expect(disabled.subject).toBe("A webhook endpoint of Acme was disabled");
    expect(disabled.text).toContain(
      "https://hooks.acme.test/oryn of Acme have failed since 2026-11-30 08:00 UTC",
    );
    const invitation = render("invitation", { ...samples.invitation, role: "owner" });
    expect(invitation.subject).toBe("Ada invited you to Acme on Acme Cloud");
    expect(invitation.text).toContain("as an owner.");
    expect(render("email-changed-notice", samples["email-changed-notice"]).text).toContain(
      "to ada@new.example.test",
    );
  });

  it("escapes every piece of data in the HTML part, and keeps it as it is in the text", () => {
    const hostile = `<img src=x onerror="alert(1)"> & 'Co' <script>alert(2)</script>`;
    const mails = [
      render("invitation", { ...samples.invitation, inviterName: hostile, tenantName: hostile }),
      render("verify-email", { ...samples["verify-email"], name: hostile }),
      render("webhook-endpoint-disabled", {
        ...samples["webhook-endpoint-disabled"],
        tenantName: hostile,
        endpointUrl: `https://hooks.acme.test/a?b=1&c="><script>alert(3)</script>`,
      }),
    ];
    for (const mail of mails) {
      expect(mail.html).not.toMatch(/<img|<script|onerror="/i);
      expect(mail.html).toContain(
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;Co&#39; &lt;script&gt;",
      );
      expect(mail.text).toContain(hostile);
      // Exactly the tags the layout writes, whatever the data.
      const tags = new Set([...mail.html.matchAll(/<\/?([a-z!]+)/gi)].map((m) => m[1]));
      expect([...tags].sort()).toEqual([
        "!doctype",
        "a",
        "body",
        "br",
        "div",
        "head",
        "html",
        "meta",
        "p",
        "title",
      ]);
    }
  });

  it("refuses data that would break a header or the link: control characters, odd tokens", () => {
    const message = (data: unknown) => ({
      id: "m1",
      template: "invitation",
      to: "grace@example.test",
      data,
    });
    const bad = [
      { ...samples.invitation, tenantName: "Acme\r\nBcc: everyone@example.test" },
      { ...samples.invitation, inviterName: "Ada\u0000" },
      { ...samples.invitation, token: "short" },
      { ...samples.invitation, token: `${token}&next=https://evil.test` },
      { ...samples.invitation, role: "superuser" },
      { ...samples.invitation, extra: "unknown fields are a producer's typo" },
    ];
    expect(
      mailMessage.safeParse({
        id: "m1",
        template: "webhook-endpoint-disabled",
        to: "admin@example.test",
        data: { ...samples["webhook-endpoint-disabled"], endpointUrl: "javascript:alert(1)" },
      }).success,
    ).toBe(false);
    for (const data of bad) expect(mailMessage.safeParse(message(data)).success).toBe(false);
    expect(
      mailMessage.safeParse({ ...message(samples.invitation), to: "a@b.test\r\nBcc: x@y.test" })
        .success,
    ).toBe(false);
    expect(mailMessage.safeParse({ ...message(samples.invitation), id: "has:colon" }).success).toBe(
      false,
    );
  });
});

describe("mailBackoff", () => {
  it("doubles from the first delay up to the longest, then gives up", () => {
    const backoff = mailBackoff({ attempts: 6, firstDelayMs: 1000, maxDelayMs: 5000 });
    const ranges = [1, 2, 3, 4, 5].map((tries) => backoff(tries));
    // A fifth less at most, at random.
    for (const [index, ceiling] of [1000, 2000, 4000, 5000, 5000].entries()) {
      expect(ranges[index]).toBeLessThanOrEqual(ceiling);
      expect(ranges[index]).toBeGreaterThanOrEqual(ceiling * 0.8);
    }
    expect(backoff(6)).toBe(-1);
  });

  it("spans well over an hour with the defaults, so SMTP down for tens of minutes loses nothing", () => {
    const backoff = mailBackoff({ attempts: 30, firstDelayMs: 1000, maxDelayMs: 300_000 });
    let shortest = 0;
    for (let tries = 1; tries < 30; tries++) shortest += backoff(tries);
    expect(shortest).toBeGreaterThan(80 * 60 * 1000);
  });
});
