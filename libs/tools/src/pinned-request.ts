import type { IncomingMessage } from "node:http";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";

/** An address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface PinnedRequest {
  url: URL;
  method: "GET" | "HEAD";
  /** The vetted address the connection must go to, whatever DNS says by then. */
  pinned: ResolvedAddress;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/**
 * Sends one request to a pinned address and resolves with the response head. The URL keeps its
 * host name, so the Host header, SNI and certificate check use the name, while the socket goes
 * only to `pinned`.
 */
export function pinnedRequest(req: PinnedRequest): Promise<IncomingMessage> {
  const { address, family } = req.pinned;
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const client = req.url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = client.request(
      req.url,
      // No agent: a pooled socket could have been opened to another address for the same name.
      { method: req.method, agent: false, lookup, headers: req.headers, signal: req.signal },
      resolve,
    );
    outgoing.once("error", reject);
    outgoing.end();
  });
}
