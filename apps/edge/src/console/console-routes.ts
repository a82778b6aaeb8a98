import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AppError } from "@conclave/errors";
import { problemOf } from "@conclave/http";
import { serveStatic } from "@hono/node-server/serve-static";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { EdgeEnv } from "../http/env.js";
import { json } from "../http/openapi.js";

const tags = ["Console"];

export const ConsoleSettings = z
  .object({
    streamUrl: z
      .string()
      .openapi({ description: "The fanout's WebSocket URL (`/v1/stream`) for this page." }),
  })
  .openapi("ConsoleSettings");

const configRoute = createRoute({
  method: "get",
  path: "/console/config.json",
  tags,
  summary: "What the web console needs to know to connect (the stream URL)",
  security: [],
  responses: { 200: json(ConsoleSettings, "The console's settings.") },
});

const pageRoute = createRoute({
  method: "get",
  path: "/console",
  tags,
  summary: "The web console (HTML; its client routes under /console/* answer the same page)",
  security: [],
  responses: {
    200: { description: "The console's page.", content: { "text/html": { schema: z.string() } } },
    404: {
      description: "The console is not built (`npm run build`).",
      content: { "application/problem+json": { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

/** Hashed by the bundler: a new build has new names, so a browser may keep these for good. */
const IMMUTABLE = "public, max-age=31536000, immutable";

export interface ConsoleOptions {
  /** The built files (index.html and assets/). */
  dir: string;
  /** `PUBLIC_STREAM_URL`; unset, the request's host with `fanoutPort`. */
  streamUrl: string | undefined;
  fanoutPort: number;
}

/** The stream URL a page loaded by this request should connect to. */
export function streamUrlFor(c: Context, options: ConsoleOptions): string {
  if (options.streamUrl) return options.streamUrl;
  const url = new URL(c.req.url);
  const scheme = url.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${url.hostname.includes(":") ? `[${url.hostname}]` : url.hostname}:${options.fanoutPort}/v1/stream`;
}

/** Same origin for everything but the stream; no inline script, no framing by other pages. */
function securityHeaders(c: Context, options: ConsoleOptions): void {
  const stream = new URL(streamUrlFor(c, options)).origin.replace(/^http/, "ws");
  // The widget preview (a srcdoc frame, under this policy) reads the group's events over HTTP, and
  // builds its stylesheet at runtime from the theme.
  const events = stream.replace(/^ws/, "http");
  c.header(
    "content-security-policy",
    [
      "default-src 'self'",
      `connect-src 'self' ${stream} ${events}`,
      "img-src 'self' data:",
      "style-src 'self' 'unsafe-inline'",
      "script-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; "),
  );
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "no-referrer");
}

/**
 * Serves the console's built files under /console: hashed assets cached for good, the page itself
 * never (so a new build is picked up at once), and every other path under /console answered with
 * the page (the console's own routes). Without a build, a problem saying how to make one.
 */
export function mountConsole(app: OpenAPIHono<EdgeEnv>, options: ConsoleOptions): void {
  const index = join(options.dir, "index.html");
  const missing = (c: Context, detail: string) =>
    c.body(JSON.stringify(problemOf(new AppError("not_found", detail))), 404, {
      "content-type": "application/problem+json",
      "cache-control": "no-cache",
    });
  const notBuilt = (c: Context) =>
    missing(
      c,
      `the console is not built: run \`npm run build\` (or \`npm run build -w @conclave/console\`); looked in ${options.dir}`,
    );
  const page = async (c: Context) => {
    if (!existsSync(index)) return notBuilt(c);
    securityHeaders(c, options);
    c.header("cache-control", "no-cache");
    return c.html(await readFile(index, "utf8"));
  };
  // Made once the build exists: it complains at once about a missing root.
  let assets: ReturnType<typeof serveStatic<EdgeEnv>> | undefined;
  const files = () =>
    (assets ??= serveStatic<EdgeEnv>({
      root: options.dir,
      rewriteRequestPath: (path) => path.replace(/^\/console/, ""),
    }));

  app.openapi(configRoute, (c) => {
    c.header("cache-control", "no-cache");
    return c.json({ streamUrl: streamUrlFor(c, options) }, 200);
  });
  app.openapi(pageRoute, (c) => page(c) as never);
  // Middleware, not a route: the client routes are the console's, not the API's.
  app.use("/console/*", async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return next();
    if (!existsSync(index)) return notBuilt(c);
    const sub = c.req.path.slice("/console".length);
    if (sub !== "" && sub !== "/" && sub !== "/index.html") {
      // Set before the file is read: headers set after its response is made do not reach it.
      securityHeaders(c, options);
      c.header("cache-control", sub.startsWith("/assets/") ? IMMUTABLE : "no-cache");
      const found = await files()(c, async () => {});
      if (found) return found;
      // A missing hashed asset is a 404, not the page (a stale page asking for an old build's file).
      if (sub.startsWith("/assets/")) return missing(c, `no console file ${c.req.path}`);
    }
    return page(c);
  });
}
