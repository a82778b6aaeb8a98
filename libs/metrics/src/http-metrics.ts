import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppMetrics } from "./app-metrics.js";

/**
 * A Hono middleware timing every request by its route pattern (`/v1/groups/:groupId`, never the
 * raw path: label values stay bounded), method and status. Unmatched paths share one label. A
 * stream (SSE) is timed to its response headers, not over its lifetime.
 */
export function httpMetrics(m: AppMetrics): MiddlewareHandler {
  const duration = m.histogram(
    "conclave_http_request_duration_seconds",
    "HTTP request latency by route pattern, method and status.",
    ["route", "method", "status"],
  );
  return async (c, next) => {
    const t0 = performance.now();
    try {
      await next();
    } finally {
      duration.observe(
        { route: routeOf(c), method: c.req.method, status: String(c.res.status) },
        (performance.now() - t0) / 1000,
      );
    }
  };
}

/** The last matched handler's pattern (middleware registered for every method does not count). */
function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i];
    if (r && r.method !== "ALL") return r.path;
  }
  return "unmatched";
}
