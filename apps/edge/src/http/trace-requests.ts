import { type Logger, withLogFields } from "@conclave/log";
import { inSpan, SpanKind } from "@conclave/telemetry";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { EdgeEnv } from "./env.js";

/** Probes answer often and say nothing new: their lines are debug. */
const PROBES = new Set(["/healthz", "/readyz"]);

/**
 * Each request in a server span (child of the caller's `traceparent`, if it sent one), with its
 * request id (`x-request-id`, the caller's if valid) on every log line written while it runs, and
 * one access line when it is answered.
 */
export function traceRequests(log: Logger): MiddlewareHandler<EdgeEnv> {
  return (c, next) =>
    withLogFields({ requestId: c.var.requestId }, () =>
      inSpan(
        "edge",
        c.req.method,
        {
          kind: SpanKind.SERVER,
          parent: c.req.header("traceparent"),
          attributes: { "http.request.method": c.req.method, "url.path": c.req.path },
        },
        async (span) => {
          const started = performance.now();
          await next();
          // The route as registered (`/v1/groups/:id/messages`), never the raw path: bounded names.
          const route = routePath(c, -1);
          const status = c.res.status;
          span.updateName(`${c.req.method} ${route}`);
          span.setAttribute("http.route", route);
          span.setAttribute("http.response.status_code", status);
          const line = {
            method: c.req.method,
            route,
            status,
            ms: Math.round(performance.now() - started),
            ...(c.var.proxied ? { proxy: c.var.proxied } : {}),
          };
          if (PROBES.has(c.req.path)) log.debug(line, "request");
          else log.info(line, "request");
        },
      ),
    );
}
