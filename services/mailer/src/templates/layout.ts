/**
 * The one layout every message shares. A template describes its message as plain-text blocks;
 * this turns them into the text part and the HTML part, escaping every piece of text for HTML
 * here, so no template writes markup and no data (a company's name, an address) reaches the
 * HTML unescaped.
 */

export type TemplateContext = {
  /** The web app (APP_URL): links point there. */
  appUrl: string;
  productName: string;
  /** When the message was asked for (the job's time): notices say "on …" with it. */
  requestedAt: Date;
};

export type RenderedMail = {
  subject: string;
  text: string;
  html: string;
  /** The link the message is for, if any: logged in development so a flow can be followed. */
  link?: string;
};

export type MailContent = {
  subject: string;
  /** The recipient's name, if known: "Hello Ada," rather than "Hello,". */
  greeting?: string | undefined;
  paragraphs: string[];
  /** The one thing to do: a button in HTML, the bare link in text. */
  action?: { label: string; url: string };
  /** Smaller print after the action: expiry, what to do if it was not you. */
  notes?: string[];
};

/** A page of the web app, with query parameters (a token) encoded into it. */
export function appLink(
  context: TemplateContext,
  path: string,
  query: Record<string, string> = {},
): string {
  // Joined as text, not resolved: an APP_URL with a path (https://example.com/app) keeps it.
  const url = new URL(`${context.appUrl.replace(/\/+$/, "")}${path}`);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.href;
}

/** A moment as people read it in any locale: "2026-12-01 09:30 UTC". */
export function formatInstant(instant: string | Date): string {
  const iso = new Date(instant).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => htmlEntities[char] ?? char);
}

const htmlEntities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function renderMail(context: TemplateContext, content: MailContent): RenderedMail {
  const greeting = content.greeting ? `Hello ${content.greeting},` : "Hello,";
  const notes = content.notes ?? [];
  const text = [
    greeting,
    ...content.paragraphs,
    ...(content.action ? [`${content.action.label}:\n${content.action.url}`] : []),
    ...notes,
    `-- \n${context.productName}\n${context.appUrl}`,
  ].join("\n\n");

  const paragraph = (body: string, style = "margin:0 0 16px") =>
    `<p style="${style}">${escapeHtml(body)}</p>`;
  const small = "margin:0 0 12px;font-size:13px;line-height:1.5;color:#52525b";
  const action = content.action
    ? [
        `<p style="margin:24px 0"><a href="${escapeHtml(content.action.url)}" style="display:inline-block;background:#18181b;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600">${escapeHtml(content.action.label)}</a></p>`,
        `<p style="${small}">If the button does not work, copy this address into your browser:<br><a href="${escapeHtml(content.action.url)}" style="color:#52525b;word-break:break-all">${escapeHtml(content.action.url)}</a></p>`,
      ]
    : [];
  const html = [
    "<!doctype html>",
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(content.subject)}</title></head>`,
    "<body style=\"margin:0;padding:24px;background:#f4f4f5;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:15px;line-height:1.6;color:#18181b\">",
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px">',
    paragraph(context.productName, "margin:0 0 24px;font-size:18px;font-weight:600"),
    paragraph(greeting),
    ...content.paragraphs.map((body) => paragraph(body)),
    ...action,
    ...notes.map((body) => paragraph(body, small)),
    "</div>",
    "</body>",
    "</html>",
  ].join("\n");

  return {
    subject: content.subject,
    text: `${text}\n`,
    html: `${html}\n`,
    ...(content.action ? { link: content.action.url } : {}),
  };
}

/** The note that says until when a link works, if the producer said. */
export function expiryNotes(expiresAt: string | undefined): string[] {
  return expiresAt ? [`This link works until ${formatInstant(expiresAt)}, once.`] : [];
}

/**
 * A message whose one action is a single-use link: a page of the web app carrying `link.token`.
 * Its notes say until when the link works, then what to do if the reader did not ask for it.
 */
export function renderLinkMail(
  context: TemplateContext,
  link: { token: string; expiresAt?: string | undefined },
  content: Omit<MailContent, "action" | "notes"> & {
    action: { label: string; page: string };
    ifNotYou: string;
  },
): RenderedMail {
  const { action, ifNotYou, ...rest } = content;
  return renderMail(context, {
    ...rest,
    action: { label: action.label, url: appLink(context, action.page, { token: link.token }) },
    notes: [...expiryNotes(link.expiresAt), ifNotYou],
  });
}
