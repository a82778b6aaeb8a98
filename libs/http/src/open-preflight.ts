import type { Context, MiddlewareHandler } from "hono";

/** A CORS preflight: OPTIONS with an Origin and the method the page means to use. */
export const isPreflight = (c: Context): boolean =>
  c.req.method === "OPTIONS" &&
  Boolean(c.req.header("origin")) &&
  Boolean(c.req.header("access-control-request-method"));

/**
 * Answers CORS preflights from any origin, for routes a widget key reaches from pages the operator
 * does not know. A preflight carries no credential, so it cannot be judged; the request that follows
 * is (its key must list the page's origin) and only then gets `Access-Control-Allow-Origin`.
 */
export function openPreflight(opts: { methods: string[]; headers: string[] }): MiddlewareHandler {
  return async (c, next) => {
    if (!isPreflight(c)) return next();
    return c.body(null, 204, {
      "access-control-allow-origin": c.req.header("origin") ?? "",
      "access-control-allow-methods": opts.methods.join(", "),
      "access-control-allow-headers": opts.headers.join(", "),
      "access-control-max-age": "600",
      vary: "Origin",
    });
  };
}

/** Lets the page at `origin` read this response (call once its credential has accepted that origin). */
export function allowOrigin(headers: Headers, origin: string): void {
  headers.set("access-control-allow-origin", origin);
  headers.set("access-control-expose-headers", "x-request-id");
  const vary = headers.get("vary") ?? "";
  if (!vary.split(",").some((v) => v.trim().toLowerCase() === "origin")) headers.append("vary", "Origin");
}
