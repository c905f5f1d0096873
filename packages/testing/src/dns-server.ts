import dns2 from "dns2";

const { Packet } = dns2;

/**
 * A real DNS server (dns2, another author's) on a free UDP port of 127.0.0.1, answering TXT
 * queries from `records` (name → values; names lower-case, without a trailing dot) and NXDOMAIN
 * for the rest. The gateway's DNS_SERVERS is `address`.
 */
export async function startDnsServer(): Promise<{
  address: string;
  records: Map<string, string[]>;
  queries: string[];
  close(): Promise<void>;
}> {
  const records = new Map<string, string[]>();
  const queries: string[] = [];
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = (question?.name ?? "").toLowerCase().replace(/\.$/, "");
      queries.push(name);
      const values = question?.type === Packet.TYPE.TXT ? records.get(name) : undefined;
      if (values === undefined && !records.has(name)) response.header.rcode = 3; // NXDOMAIN
      for (const value of values ?? []) {
        response.answers.push({
          name: question?.name ?? name,
          type: Packet.TYPE.TXT,
          class: Packet.CLASS.IN,
          ttl: 1,
          data: value,
          // dns2's type asks for a built Resource; it encodes a plain record like this itself.
        } as unknown as (typeof response.answers)[number]);
      }
      send(response);
    },
  });
  const listening = await server.listen({ udp: { port: 0, address: "127.0.0.1" } });
  const port = listening.udp?.port;
  if (!port) throw new Error("the DNS server has no port");
  return {
    address: `127.0.0.1:${port}`,
    records,
    queries,
    close: () => server.close(),
  };
}
