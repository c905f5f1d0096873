import { domainToASCII } from "node:url";
import { parse } from "tldts";

/**
 * A domain as stored and compared: lower-case ASCII (IDNA, punycode for other scripts), without
 * a trailing dot; or null for what no tenant can claim: not a host name, an IP address, or a
 * public suffix (`com`, `co.uk`, and the suffixes registries hand out to their customers such as
 * `github.io`, from the Public Suffix List through tldts).
 */
export function normaliseDomain(input: string): string | null {
  const trimmed = input.trim().toLowerCase().replace(/\.$/, "");
  if (trimmed === "" || /[\s/:@]/.test(trimmed)) return null;
  const ascii = domainToASCII(trimmed);
  if (ascii === "" || ascii.length > 253) return null;
  const labels = ascii.split(".");
  if (labels.length < 2) return null;
  if (!labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label))) return null;
  // A top-level label is never all digits: that is an IPv4 address, not a domain.
  if (/^\d+$/.test(labels.at(-1) ?? "")) return null;
  const parsed = parse(ascii, { allowPrivateDomains: true });
  if (parsed.isIp || !parsed.domain || !parsed.publicSuffix) return null;
  return ascii;
}

/** The domain of an email address, normalised like a claimed domain; null when it has none. */
export function domainOfEmail(email: string): string | null {
  const at = email.lastIndexOf("@");
  return at < 0 ? null : normaliseDomain(email.slice(at + 1));
}
