import { lookup } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * The one rule for calls to addresses a tenant chose (webhook URLs, an SSO connection's issuer):
 * loopback, private, link-local, metadata, unspecified and reserved addresses are refused unless
 * the deployment allows private targets (tests, never production), and a name is judged by every
 * address it resolves to, the address checked being the one connected to.
 */

/** Why an address is refused: the classes the issue names, each with its own test. */
export type RefusedClass =
  | "loopback"
  | "private"
  | "link-local"
  | "metadata"
  | "unspecified"
  | "reserved";

// Cloud metadata services: on link-local or private ranges already, named so the log says so.
const metadataAddresses = new Set([
  "169.254.169.254",
  "169.254.170.2",
  "100.100.100.200",
  "fd00:ec2::254",
]);

function listOf(entries: [string, number, "ipv4" | "ipv6"][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of entries) list.addSubnet(network, prefix, family);
  return list;
}

const ranges: [RefusedClass, BlockList][] = [
  [
    "loopback",
    listOf([
      ["127.0.0.0", 8, "ipv4"],
      ["::1", 128, "ipv6"],
    ]),
  ],
  [
    "unspecified",
    listOf([
      ["0.0.0.0", 8, "ipv4"],
      ["::", 128, "ipv6"],
    ]),
  ],
  [
    "private",
    listOf([
      ["10.0.0.0", 8, "ipv4"],
      ["172.16.0.0", 12, "ipv4"],
      ["192.168.0.0", 16, "ipv4"],
      // Carrier-grade NAT: private in practice, and where some clouds keep their metadata.
      ["100.64.0.0", 10, "ipv4"],
      ["fc00::", 7, "ipv6"],
    ]),
  ],
  [
    "link-local",
    listOf([
      ["169.254.0.0", 16, "ipv4"],
      ["fe80::", 10, "ipv6"],
    ]),
  ],
  [
    "reserved",
    listOf([
      ["192.0.0.0", 24, "ipv4"],
      ["192.0.2.0", 24, "ipv4"],
      ["198.18.0.0", 15, "ipv4"],
      ["198.51.100.0", 24, "ipv4"],
      ["203.0.113.0", 24, "ipv4"],
      ["224.0.0.0", 4, "ipv4"],
      ["240.0.0.0", 4, "ipv4"],
      ["2001:db8::", 32, "ipv6"],
      ["ff00::", 8, "ipv6"],
    ]),
  ],
];

/** IPv4 carried in IPv6 (::ffff:a.b.c.d, NAT64 64:ff9b::/96): judged as the IPv4 inside. */
function embeddedIpv4(address: string): string | undefined {
  const match =
    /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(
      address,
    );
  if (!match) return undefined;
  if (match[1]) return match[1];
  const high = Number.parseInt(match[2] ?? "0", 16);
  const low = Number.parseInt(match[3] ?? "0", 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** The class an IP address is refused for, or undefined for a public address. */
export function refusedClassOf(address: string): RefusedClass | undefined {
  const inner = embeddedIpv4(address);
  if (inner) return refusedClassOf(inner);
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  if (metadataAddresses.has(address.toLowerCase())) return "metadata";
  for (const [refused, list] of ranges) if (list.check(address, family)) return refused;
  return undefined;
}

export class RefusedTarget extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedTarget";
  }
}

/** Where a delivery connects: the address checked, pinned for the connection. */
export type ResolvedTarget = { url: URL; address: string; family: 4 | 6 };

/**
 * Resolves the URL's host and checks every address it has: a name with one private address
 * among public ones is refused, since the connection could land on any of them. The address
 * checked is the one connected to (`send` pins it), so a second DNS answer cannot swap it.
 */
export async function resolveTarget(
  url: string,
  policy: { allowPrivate: boolean; production: boolean },
): Promise<ResolvedTarget> {
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw new RefusedTarget(`refused: ${parsed.protocol} is not http(s)`);
  if (policy.production && parsed.protocol !== "https:")
    throw new RefusedTarget("refused: plain http:// in production");
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host)
      ? [{ address: host, family: isIP(host) }]
      : await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    throw new RefusedTarget(`unresolved: ${(error as NodeJS.ErrnoException).code ?? "DNS error"}`);
  }
  const [first] = addresses;
  if (!first) throw new RefusedTarget("unresolved: no address");
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const refused = refusedClassOf(address);
      if (refused) throw new RefusedTarget(`refused: ${address} is a ${refused} address`);
    }
  }
  return { url: parsed, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * A `lookup` for node:net/tls (and undici's connector, which passes it on) that applies the rule
 * while connecting: the connection goes to the address checked. Node does not call `lookup` for
 * an IP literal: callers check those with `refusedClassOf` before connecting.
 */
export function guardedLookup(policy: { allowPrivate: boolean }): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { all: true, verbatim: true }).then(
      (addresses) => {
        const refused = policy.allowPrivate
          ? undefined
          : addresses.find(({ address }) => refusedClassOf(address));
        if (refused) {
          const error = new RefusedTarget(
            `refused: ${refused.address} is a ${refusedClassOf(refused.address)} address`,
          );
          callback(error as NodeJS.ErrnoException, "", 0);
          return;
        }
        const [first] = addresses;
        if (!first) {
          callback(new RefusedTarget("unresolved: no address") as NodeJS.ErrnoException, "", 0);
          return;
        }
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}
