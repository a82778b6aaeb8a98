import { lookup } from "node:dns/promises";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { AppError, describeError } from "@conclave/errors";
import { z } from "zod";
import { addressRefusal } from "./address-policy.js";
import { deadlineSignal } from "./deadline-signal.js";
import { hostAllowed, normalizeHost } from "./host-allow-list.js";
import { pinnedRequest, type ResolvedAddress } from "./pinned-request.js";
import { defineTool, type Tool, type ToolContext } from "./tool.js";

/** Resolves a host name to every address it has (injected in tests to control DNS). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo, as the OS would connect), asking for every address. */
export const systemResolver: Resolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Configuration of the `http_fetch` tool, from the executor's config. */
export interface HttpFetchConfig {
  /** Hosts the tool may fetch: `example.com`, `*.example.com` (subdomains), or `*` (any public host). */
  allowHosts: readonly string[];
  /** Bytes read from a response body before it is cut off (default 1 MiB). */
  maxBytes?: number;
  /** Characters of text returned to the model (default 100,000). */
  maxTextChars?: number;
  /** Redirects followed, each checked like the first request (default 3). */
  maxRedirects?: number;
  /** Time for the whole fetch, redirects included (default 10 s). */
  timeoutMs?: number;
  resolve?: Resolver;
  userAgent?: string;
  /** Lets tests reach a server on 127.0.0.1 or ::1 (loopback only); never set it in a deployment. */
  allowLoopbackForTests?: boolean;
}

/** What `http_fetch` returns: the final URL and status, the content type, and the body as text. */
export interface HttpFetchResult {
  url: string;
  status: number;
  contentType: string | null;
  text: string;
  /** The body was longer than the byte or character cap and was cut off. */
  truncated: boolean;
  redirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TEXTUAL =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded)\b)/i;

const HttpFetchArgs = z.strictObject({
  url: z
    .string()
    .max(2048)
    .refine((u) => URL.canParse(u) && ["http:", "https:"].includes(new URL(u).protocol), {
      message: "must be an absolute http:// or https:// URL",
    })
    .describe("The absolute http(s) URL to fetch."),
  method: z.enum(["GET", "HEAD"]).default("GET").describe("GET (default) or HEAD."),
});
type HttpFetchArgs = z.output<typeof HttpFetchArgs>;

interface Limits {
  allowHosts: readonly string[];
  maxBytes: number;
  maxTextChars: number;
  maxRedirects: number;
  timeoutMs: number;
  resolve: Resolver;
  userAgent: string;
  allowLoopback: boolean;
}

function refuse(url: URL, why: string): never {
  throw new AppError("forbidden", `http_fetch: refused ${url.href}: ${why}`);
}

/** Checks scheme, allow-list and every address of the host; answers the address to pin. */
async function vet(url: URL, limits: Limits, signal: AbortSignal): Promise<ResolvedAddress> {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    refuse(url, `only http and https are allowed, not ${url.protocol}`);
  const host = normalizeHost(url.hostname);
  const family = isIP(host);
  const refusalOf = (address: string) => addressRefusal(address, { allowLoopback: limits.allowLoopback });
  if (family !== 0) {
    const why = refusalOf(host);
    if (why) refuse(url, `${host} is a ${why} address; only public addresses may be fetched`);
  }
  if (!hostAllowed(host, limits.allowHosts)) refuse(url, `${host} is not on this tool's allow-list`);
  if (family !== 0) return { address: host, family: family === 6 ? 6 : 4 };

  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await abortable(limits.resolve(host), signal);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOTFOUND" || code === "ENODATA")
      throw new AppError("not_found", `http_fetch: ${host} does not resolve`, { cause: e });
    throw new AppError("unavailable", `http_fetch: could not resolve ${host}: ${describeError(e)}`, {
      cause: e,
    });
  }
  const first = addresses[0];
  if (first === undefined) throw new AppError("not_found", `http_fetch: ${host} has no address`);
  // Every address must be public: the OS could otherwise pick a private one on its own.
  for (const a of addresses) {
    const why = refusalOf(a.address);
    if (why)
      refuse(url, `${host} resolves to ${a.address}, a ${why} address; only public addresses may be fetched`);
  }
  return first;
}

/** `p`, or the signal's reason if it aborts first (getaddrinfo itself cannot be cancelled). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function withoutCredentials(url: URL): URL {
  const clean = new URL(url.href);
  clean.username = "";
  clean.password = "";
  return clean;
}

async function readBody(
  res: IncomingMessage,
  maxBytes: number,
): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    const room = maxBytes - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size += room;
      // Leaving the loop destroys the response, so the rest is never downloaded.
      return { body: Buffer.concat(chunks, size), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { body: Buffer.concat(chunks, size), truncated: false };
}

function decode(body: Buffer, contentType: string | null): string {
  const charset = /charset="?([\w-]+)"?/i.exec(contentType ?? "")?.[1];
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body);
  } catch {
    return new TextDecoder("utf-8").decode(body);
  }
}

/** Fetches one URL under the SSRF rules of `HttpFetchConfig` (see `createHttpFetchTool`). */
export async function httpFetch(
  config: HttpFetchConfig,
  args: { url: string; method?: "GET" | "HEAD" },
  parent: AbortSignal,
): Promise<HttpFetchResult> {
  const limits: Limits = {
    allowHosts: config.allowHosts,
    maxBytes: config.maxBytes ?? 1024 * 1024,
    maxTextChars: config.maxTextChars ?? 100_000,
    maxRedirects: config.maxRedirects ?? 3,
    timeoutMs: config.timeoutMs ?? 10_000,
    resolve: config.resolve ?? systemResolver,
    userAgent: config.userAgent ?? "conclave-http-fetch/0.1",
    allowLoopback: config.allowLoopbackForTests === true,
  };
  if (!URL.canParse(args.url)) throw new AppError("validation", `http_fetch: ${args.url} is not a URL`);
  let url = withoutCredentials(new URL(args.url));
  let method = args.method ?? "GET";
  const deadline = deadlineSignal(parent, limits.timeoutMs, `http_fetch of ${url.origin}`);
  try {
    for (let redirects = 0; ; redirects++) {
      const pinned = await vet(url, limits, deadline.signal);
      const res = await pinnedRequest({
        url,
        method,
        pinned,
        signal: deadline.signal,
        headers: {
          "user-agent": limits.userAgent,
          accept: "text/html, application/json, text/plain;q=0.9, */*;q=0.5",
          // Compressed bodies could expand far past the cap after the check.
          "accept-encoding": "identity",
        },
      });
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode ?? 0) && location !== undefined) {
        res.destroy();
        if (redirects >= limits.maxRedirects)
          throw new AppError(
            "forbidden",
            `http_fetch: more than ${limits.maxRedirects} redirects from ${args.url}`,
          );
        if (!URL.canParse(location, url.href))
          throw new AppError("unavailable", `http_fetch: ${url.href} redirected to an invalid URL`);
        url = withoutCredentials(new URL(location, url));
        if (res.statusCode === 303) method = "GET";
        continue;
      }
      const contentType = res.headers["content-type"] ?? null;
      const textual = contentType === null || TEXTUAL.test(contentType);
      if (method === "HEAD" || !textual) {
        res.destroy();
        return {
          url: url.href,
          status: res.statusCode ?? 0,
          contentType,
          text: "",
          truncated: false,
          redirects,
        };
      }
      const { body, truncated } = await readBody(res, limits.maxBytes);
      const text = decode(body, contentType);
      const cut = text.length > limits.maxTextChars;
      return {
        url: url.href,
        status: res.statusCode ?? 0,
        contentType,
        text: cut ? text.slice(0, limits.maxTextChars) : text,
        truncated: truncated || cut,
        redirects,
      };
    }
  } catch (e) {
    if (deadline.signal.aborted) throw deadline.error();
    if (e instanceof AppError) throw e;
    throw new AppError("unavailable", `http_fetch: could not fetch ${url.origin}: ${describeError(e)}`, {
      cause: e,
    });
  } finally {
    deadline.dispose();
  }
}

/**
 * The `http_fetch` tool: GET or HEAD of an allow-listed http(s) URL. It resolves the host itself,
 * refuses any non-public address (also after every redirect), connects to the vetted address
 * only, and caps the body and the time.
 */
export function createHttpFetchTool(config: HttpFetchConfig): Tool<HttpFetchArgs, HttpFetchResult> {
  const timeoutMs = config.timeoutMs ?? 10_000;
  return defineTool({
    name: "http_fetch",
    description:
      "Fetches a web page or API response over http(s) and returns its status, content type and text " +
      `(cut off when long). Only these hosts: ${config.allowHosts.join(", ") || "(none)"}.`,
    schema: HttpFetchArgs,
    // Room for the fetch's own deadline to fire first, with its clearer message.
    timeoutMs: timeoutMs + 1_000,
    run: (args: HttpFetchArgs, ctx: ToolContext) => httpFetch(config, args, ctx.signal),
  });
}
