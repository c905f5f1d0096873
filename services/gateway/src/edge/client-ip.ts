import { BlockList, isIP } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { AppEnv } from "@oryn/shared";
import type { Context } from "hono";

/**
 * The proxies allowed to say who the client is: addresses and CIDR blocks, IPv4 and IPv6, and
 * two shorthands, `loopback` and `private` (RFC 1918, RFC 4193 unique-local, CGNAT), for the
 * usual load balancer on the same host or in the same private network.
 */
export function trustedProxyList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    for (const block of shorthands[entry] ?? [entry]) {
      const [address = "", prefix] = block.split("/");
      const family = isIP(address) === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) list.addAddress(address, family);
      else list.addSubnet(address, Number(prefix), family);
    }
  }
  return list;
}

const shorthands: Record<string, string[]> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"],
};

/** Is `entry` an address, a CIDR block or a shorthand `trustedProxyList` takes? */
export function isTrustedProxyEntry(entry: string): boolean {
  if (entry in shorthands) return true;
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/**
 * The client's address, as mature proxies work it out: the socket's peer, unless that peer is a
 * trusted proxy; then `X-Forwarded-For` is read from the right (each proxy appends the address it
 * saw) past every trusted proxy, and the first address that is not one is the client. Whatever a
 * client writes into the header itself lies to the left of what our proxies appended, so it is
 * never reached while a trusted proxy's entry is in the way; a peer that is not trusted has its
 * header ignored altogether. An entry that is not an address stops the walk at the last good one:
 * the answer is always an address.
 */
export function clientIpResolver(trusted: BlockList): (c: Context<AppEnv>) => string {
  const resolve = clientAddress(trusted);
  return (c) => resolve(peerAddress(c), c.req.header("x-forwarded-for"));
}

/**
 * The same rule from the socket's peer address and the `X-Forwarded-For` header as they are, for
 * callers without a hono context (the lean proxy path reads Node's request directly).
 */
export function clientAddress(
  trusted: BlockList,
): (peer: string | undefined, forwarded: string | undefined) => string {
  return (rawPeer, forwarded) => {
    const peer = rawPeer === undefined ? undefined : normalize(rawPeer);
    if (peer === undefined) return "local";
    let client = peer;
    if (!isTrusted(trusted, client)) return client;
    if (forwarded === undefined) return client;
    const hops = forwarded.split(",");
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = normalize(hops[index] ?? "");
      if (hop === undefined) break;
      client = hop;
      if (!isTrusted(trusted, client)) break;
    }
    return client;
  };
}

function peerAddress(c: Context<AppEnv>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    // In-process tests (app.request) without a simulated peer have no socket.
    return undefined;
  }
}

function isTrusted(trusted: BlockList, address: string): boolean {
  return trusted.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

/**
 * An entry as an address, or undefined: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, as a dual-stack
 * socket reports an IPv4 peer) as plain IPv4; a port some proxies add (`1.2.3.4:80`,
 * `[2001:db8::1]:80`) dropped.
 */
function normalize(raw: string): string | undefined {
  let entry = raw.trim();
  if (entry.startsWith("[")) entry = entry.slice(1, entry.indexOf("]"));
  else if (entry.indexOf(":") === entry.lastIndexOf(":") && entry.includes(":")) {
    entry = entry.slice(0, entry.indexOf(":"));
  }
  const family = isIP(entry);
  if (family === 0) return undefined;
  if (family === 6 && entry.toLowerCase().startsWith("::ffff:")) {
    const v4 = entry.slice(7);
    if (isIP(v4) === 4) return v4;
  }
  return entry;
}
