import { z } from "zod";

/** The edge's own paths: a proxy route may be neither one of them, under one, nor above one (`/.well-known` is refused by the syntax). */
export const RESERVED_PREFIXES = [
  "/v1",
  "/docs",
  "/openapi.json",
  "/console",
  "/healthz",
  "/readyz",
] as const;

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Segments of unreserved characters, none starting with a dot (no `.`, `..`, `.well-known`). */
const PREFIX = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;

const route = z
  .object({
    /** Requests under it (`/ext/foo`, `/ext/foo/...`) go to the upstream. */
    prefix: z
      .string()
      .regex(
        PREFIX,
        "one or more path segments such as /ext/foo: letters, digits, . _ ~ -, no trailing slash",
      ),
    /** An http(s) URL, with an optional base path; the request's path is appended to it. */
    upstream: z
      .url({ protocol: /^https?$/, error: "an http:// or https:// URL" })
      .transform((s) => new URL(s))
      .refine((u) => !u.username && !u.password, "no credentials in the URL")
      .refine((u) => !u.search && !u.hash, "no query or fragment")
      .transform((u) => u.href.replace(/\/+$/, "")),
    /** Drop the prefix from the path sent upstream (`/ext/foo/a` → `<upstream>/a`). */
    stripPrefix: z.boolean().default(true),
    /** `required`: the edge's bearer credential (token or API key) is checked, and rate limited per caller. */
    auth: z.enum(["required", "none"]),
    /** Send the caller's Authorization header on to the upstream (it is dropped otherwise). */
    forwardAuthorization: z.boolean().default(false),
    /** The methods passed on; any other is 405. GET allows HEAD. */
    methods: z.array(z.enum(METHODS)).min(1).default(["GET"]),
    /** The longest wait for the upstream's response headers (504 after it); the body then streams. */
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  })
  .strict();

export type ProxyRoute = z.output<typeof route>;

/** `/a/b` is under `/a`: the same path, or a path below it. */
const within = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * `PROXY_ROUTES`: a JSON array of routes. Every problem is reported at once: each route's fields,
 * and prefixes that collide with the edge's own paths or with each other.
 */
export const proxyRoutesEnv = z
  .string()
  .default("[]")
  .transform((text, ctx): unknown[] => {
    try {
      const value: unknown = JSON.parse(text);
      if (Array.isArray(value)) return value;
      ctx.addIssue({ code: "custom", message: "a JSON array of routes" });
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `not JSON: ${(e as Error).message}` });
    }
    return z.NEVER;
  })
  .transform((items, ctx): ProxyRoute[] => {
    const routes: ProxyRoute[] = [];
    const seen: { i: number; prefix: string }[] = [];
    items.forEach((item, i) => {
      const parsed = route.safeParse(item);
      if (!parsed.success)
        for (const issue of parsed.error.issues)
          ctx.addIssue({ code: "custom", path: [i, ...issue.path], message: issue.message });
      else routes.push(parsed.data);
      // Collisions too, whatever else is wrong with the route.
      const prefix = (item as { prefix?: unknown } | null)?.prefix;
      if (typeof prefix !== "string" || !PREFIX.test(prefix)) return;
      for (const reserved of RESERVED_PREFIXES)
        if (within(prefix, reserved) || within(reserved, prefix))
          ctx.addIssue({
            code: "custom",
            path: [i, "prefix"],
            message: `collides with the edge's ${reserved}`,
          });
      for (const other of seen)
        if (within(prefix, other.prefix) || within(other.prefix, prefix))
          ctx.addIssue({
            code: "custom",
            path: [i, "prefix"],
            message: `collides with route ${other.i} (${other.prefix})`,
          });
      seen.push({ i, prefix });
    });
    return routes;
  });
