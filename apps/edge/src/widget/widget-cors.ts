import { originAllowed } from "@conclave/auth";
import { allowOrigin, isPreflight, openPreflight } from "@conclave/http";
import type { MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../http/env.js";

const preflight = openPreflight({
  methods: ["GET", "POST"],
  headers: ["authorization", "content-type", "idempotency-key"],
});

/**
 * CORS for the routes a widget reaches, from the pages its key lists (`CORS_ORIGINS` is for the
 * operator's own apps): preflights for any origin, the response itself only once the key allowed it.
 */
export function widgetCors(): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    if (isPreflight(c)) return preflight(c, next);
    await next();
    const origin = c.req.header("origin");
    const grant = c.get("principal")?.widget;
    if (origin && grant && originAllowed(grant, origin)) allowOrigin(c.res.headers, origin);
  };
}
