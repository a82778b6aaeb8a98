import { AppError } from "@conclave/errors";
import { problemOf } from "@conclave/http";
import type { Hono, MiddlewareHandler } from "hono";
import type { EdgeContext } from "../context.js";
import type { EdgeEnv } from "../http/env.js";
import { authenticated, perAddress } from "../http/guards.js";
import { proxyRequest } from "./proxy-request.js";
import type { ProxyRoute } from "./proxy-routes-config.js";

/** A method the route does not pass on is 405 with `Allow`, before authentication (as no-route does). */
function methods(route: ProxyRoute): MiddlewareHandler<EdgeEnv> {
  const allowed = new Set<string>(route.methods);
  if (allowed.has("GET")) allowed.add("HEAD");
  const allow = [...allowed].sort().join(", ");
  return async (c, next) => {
    if (allowed.has(c.req.method)) return next();
    const problem = problemOf(
      new AppError("method_not_allowed", `${c.req.method} is not passed on to ${route.prefix}; use ${allow}`),
    );
    return c.body(JSON.stringify(problem), 405, { "content-type": "application/problem+json", allow });
  };
}

/**
 * The operator's upstream routes (`PROXY_ROUTES`), each under its prefix: the method check, then
 * the edge's authentication and rate limit (`auth: "required"`) or the per-address limit of the
 * open routes, then the proxied request. Operator-defined, so outside the OpenAPI document.
 */
export function mountProxies(app: Hono<EdgeEnv>, ctx: EdgeContext, routes: readonly ProxyRoute[]): void {
  for (const route of routes)
    app.all(
      `${route.prefix}/*`,
      methods(route),
      route.auth === "required" ? authenticated(ctx) : perAddress(ctx),
      proxyRequest(route, ctx.config.TRUST_PROXY),
    );
}
