import { AppError } from "@conclave/errors";
import { problemOf } from "@conclave/http";
import type { Context, MiddlewareHandler, NotFoundHandler } from "hono";

type Routes = readonly { method: string; path: string }[];

interface Pattern {
  re: RegExp;
  methods: Set<string>;
}

/** One matcher per routed path (`/v1/groups/:groupId` → `^/v1/groups/[^/]+/?$`), with its methods. */
function patternsOf(routes: Routes): Pattern[] {
  const byPath = new Map<string, Set<string>>();
  for (const r of routes) {
    // Middleware registers as ALL (often on wildcards): it names no method of its own.
    if (r.method === "ALL" || r.path.includes("*")) continue;
    const path = r.path.replace(/\/$/, "") || "/";
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(r.method.toUpperCase());
    byPath.set(path, methods);
  }
  return [...byPath].map(([path, methods]) => {
    const source = path
      .split("/")
      .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    return { re: new RegExp(`^${source}/?$`), methods };
  });
}

/**
 * Answers a method the path has no route for with `405` and `Allow` (before authentication and
 * rate limits run: the methods are in the public spec anyway), and a path no route has with `404`;
 * both as problem+json. The routes are read on first use, once all are mounted.
 */
export function noRoute(app: { routes: Routes }) {
  let patterns: Pattern[] | undefined;
  const allowedOn = (path: string) => {
    patterns ??= patternsOf(app.routes);
    const allowed = new Set<string>();
    for (const p of patterns) if (p.re.test(path)) for (const m of p.methods) allowed.add(m);
    if (allowed.has("GET")) allowed.add("HEAD");
    return allowed;
  };
  const answer = (c: Context, allowed: Set<string>) => {
    const headers: Record<string, string> = { "content-type": "application/problem+json" };
    if (allowed.size === 0) {
      const problem = problemOf(new AppError("not_found", `no route ${c.req.method} ${c.req.path}`));
      return c.body(JSON.stringify(problem), 404, headers);
    }
    const allow = [...allowed].sort().join(", ");
    const problem = problemOf(
      new AppError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`),
    );
    return c.body(JSON.stringify(problem), 405, { ...headers, allow });
  };
  /** First middleware of the app; OPTIONS passes (CORS preflights), and ends in `notFound` if unrouted. */
  const methodGuard: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== "OPTIONS") {
      const allowed = allowedOn(c.req.path);
      if (allowed.size > 0 && !allowed.has(c.req.method)) return answer(c, allowed);
    }
    await next();
  };
  const notFound: NotFoundHandler = (c) => answer(c, allowedOn(c.req.path));
  return { methodGuard, notFound };
}
