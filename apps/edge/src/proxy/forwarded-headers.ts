/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never the next one. */
const HOP_BY_HOP = ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"];

export interface Forwarding {
  /** The address of the peer that connected to the edge. */
  peer: string;
  /** `http` or `https`, as the edge was reached. */
  proto: string;
  /** The Host the client asked for. */
  host: string;
  /** The edge sits behind a proxy of the operator's: the X-Forwarded-* it sent are kept and extended. */
  trustProxy: boolean;
  /** Pass the caller's Authorization on (the route says so); dropped otherwise. */
  forwardAuthorization: boolean;
}

/**
 * The headers a proxied request carries upstream: the caller's, less hop-by-hop ones (those the
 * Connection header names too), any Proxy-*, Host (the upstream's own is sent) and Authorization
 * unless forwarded; with X-Forwarded-For/Proto/Host set.
 */
export function forwardedHeaders(incoming: Headers, f: Forwarding): Headers {
  const out = new Headers(incoming);
  for (const name of (incoming.get("connection") ?? "").split(",")) {
    try {
      out.delete(name.trim());
    } catch {
      // Not a header name: nothing of that name was sent.
    }
  }
  for (const name of HOP_BY_HOP) out.delete(name);
  for (const name of [...out.keys()]) if (name.startsWith("proxy-")) out.delete(name);
  out.delete("host");
  if (!f.forwardAuthorization) out.delete("authorization");
  const trusted = (name: string) => (f.trustProxy ? incoming.get(name) : null);
  const chain = trusted("x-forwarded-for");
  out.set("x-forwarded-for", chain ? `${chain}, ${f.peer}` : f.peer);
  out.set("x-forwarded-proto", trusted("x-forwarded-proto") ?? f.proto);
  out.set("x-forwarded-host", trusted("x-forwarded-host") ?? f.host);
  if (!f.trustProxy) out.delete("forwarded");
  return out;
}
