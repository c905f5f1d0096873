import { Resolver } from "node:dns/promises";

/** Reads the TXT records of a name, with the resolvers of DNS_SERVERS (or the system's). */
export type TxtReader = (name: string) => Promise<TxtAnswer>;

export type TxtAnswer =
  | { ok: true; values: string[] }
  /** The name has no TXT record (NXDOMAIN, NODATA): not proved. */
  | { ok: false; reason: "absent" }
  /** No resolver gave an answer (timeout, SERVFAIL, refused): try again later. */
  | { ok: false; reason: "unavailable"; code: string };

export function txtReader(servers: string[]): TxtReader {
  return async (name) => {
    // A resolver per question: its servers are ours alone, and an answer is never cached here.
    const resolver = new Resolver({ timeout: 1500, tries: 2 });
    if (servers.length > 0) resolver.setServers(servers);
    try {
      const records = await resolver.resolveTxt(name);
      // A long TXT value arrives in 255-byte strings: the record is their concatenation.
      return { ok: true, values: records.map((chunks) => chunks.join("")) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "DNS error";
      if (code === "ENOTFOUND" || code === "ENODATA") return { ok: false, reason: "absent" };
      return { ok: false, reason: "unavailable", code };
    }
  };
}
