import { AppError } from "@conclave/errors";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, Handler } from "hono";
import { proxy } from "hono/proxy";
import type { EdgeEnv } from "../http/env.js";
import { forwardedHeaders } from "./forwarded-headers.js";
import type { ProxyRoute } from "./proxy-routes-config.js";
import { upstreamTarget } from "./upstream-target.js";

function peerOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** What undici says went wrong (`ECONNREFUSED`, `UND_ERR_SOCKET`...), for the access line only. */
function failureOf(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === "string" ? cause.code : (e as Error)?.name || "error";
}

/**
 * Passes a request on to the route's upstream and its answer back, both bodies streamed as they
 * come (Hono's `proxy` drops the response's hop-by-hop headers). `timeoutMs` bounds the wait for
 * the upstream's headers: 504 after it, 502 when it cannot be reached; its own statuses pass.
 */
export function proxyRequest(route: ProxyRoute, trustProxy: boolean): Handler<EdgeEnv> {
  return async (c) => {
    const target = upstreamTarget(route, c.req.url);
    if (!target) throw new AppError("validation", `the path must stay below ${route.prefix}`);
    const raw = c.req.raw;
    const hasBody = raw.body !== null && c.req.method !== "GET" && c.req.method !== "HEAD";
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), route.timeoutMs);
    const started = performance.now();
    try {
      const res = await proxy(target, {
        method: c.req.method,
        headers: forwardedHeaders(raw.headers, {
          peer: peerOf(c),
          proto: new URL(c.req.url).protocol.replace(":", ""),
          host: c.req.header("host") ?? "",
          trustProxy,
          forwardAuthorization: route.forwardAuthorization,
        }),
        ...(hasBody ? { body: raw.body, duplex: "half" } : {}),
        // The caller hanging up ends the upstream request too.
        signal: AbortSignal.any([raw.signal, timeout.signal]),
      });
      c.set("proxied", {
        prefix: route.prefix,
        upstreamStatus: res.status,
        upstreamMs: Math.round(performance.now() - started),
      });
      return res;
    } catch (e) {
      c.set("proxied", {
        prefix: route.prefix,
        failure: timeout.signal.aborted ? "timeout" : failureOf(e),
        upstreamMs: Math.round(performance.now() - started),
      });
      if (timeout.signal.aborted)
        throw new AppError(
          "timeout",
          `the upstream of ${route.prefix} did not answer within ${route.timeoutMs} ms`,
          {
            cause: e,
          },
        );
      if (raw.signal.aborted) throw e;
      throw new AppError("bad_gateway", `the upstream of ${route.prefix} is unreachable or failed`, {
        cause: e,
      });
    } finally {
      clearTimeout(timer);
    }
  };
}
