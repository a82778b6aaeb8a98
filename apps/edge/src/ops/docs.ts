import { AppError } from "@conclave/errors";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { EdgeEnv } from "../http/env.js";
import { json } from "../http/openapi.js";
import { scalarBundle } from "./docs-assets.js";
import { sameOriginPolicy } from "./docs-csp.js";

const tags = ["Operations"];

const specRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  tags,
  summary: "This document (OpenAPI 3.1)",
  security: [],
  responses: { 200: json(z.record(z.string(), z.unknown()), "The OpenAPI document.") },
});

const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  tags,
  summary: "Interactive API reference (HTML)",
  security: [],
  responses: {
    200: {
      description: "An HTML page rendering /openapi.json.",
      content: { "text/html": { schema: z.string() } },
    },
  },
});

const assetRoute = createRoute({
  method: "get",
  path: "/docs/assets/{file}",
  tags,
  summary: "The API reference's script, served by this edge (no CDN)",
  security: [],
  request: {
    params: z.object({
      file: z
        .string()
        .max(100)
        .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/)
        .openapi({ example: "api-reference-1.46.4.js" }),
    }),
  },
  responses: {
    200: {
      description:
        "The reference UI's browser bundle; its name carries its version, so it is cached for a year.",
      content: { "text/javascript": { schema: z.string() } },
    },
    304: { description: "The cached copy is current." },
    404: {
      description: "No such asset.",
      content: { "application/problem+json": { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const pascal = (word: string) =>
  word
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join("");

/** A stable id from method and path: `get /v1/groups/{groupId}/files` → `getGroupsByGroupIdFiles`. */
export function operationIdOf(method: string, path: string): string {
  const parts = path
    .split("/")
    .filter((p) => p !== "" && p !== "v1")
    .map((p) => (p.startsWith("{") ? `By${pascal(p.slice(1, -1))}` : pascal(p)));
  return `${method}${parts.join("")}`;
}

/** The OpenAPI document of `app`, built once from the routes' own schemas. */
export function openApiDocument(app: OpenAPIHono<EdgeEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An access token (from login or refresh) or an API key (`ck_…`).",
  });
  let doc: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  return () => {
    doc ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Conclave API",
        version: "1",
        description:
          "Multi-agent conversations: accounts, agents, groups, messages. Errors are `application/problem+json` (RFC 9457). Live events (WebSocket `/v1/stream`, SSE `GET /v1/groups/{groupId}/events`) are served by the fanout.",
      },
      servers: [{ url: "/", description: "The edge that serves this document" }],
      security: [{ bearer: [] }],
    });
    for (const [path, item] of Object.entries(doc.paths ?? {}))
      for (const method of METHODS) {
        const op = item[method];
        if (op) op.operationId ??= operationIdOf(method, path);
      }
    return doc;
  };
}

/**
 * Serves the document at /openapi.json and the Scalar reference at /docs (both documented
 * themselves). The page loads its script from this edge and nothing from elsewhere (no fonts, no
 * telemetry), which its Content-Security-Policy enforces: /docs works without internet access.
 */
export function mountDocs(app: OpenAPIHono<EdgeEnv>): void {
  const document = openApiDocument(app);
  app.openapi(specRoute, (c) => c.json(document(), 200));
  const bundle = scalarBundle();
  const scalar = Scalar<EdgeEnv>({
    url: "/openapi.json",
    pageTitle: "Conclave API",
    cdn: `/docs/assets/${bundle.name}`,
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    // Its toolbar shares and deploys the document to Scalar's hosted service.
    showDeveloperTools: "never",
  });
  let page: Promise<{ html: string; csp: string }> | undefined;
  app.openapi(docsRoute, async (c, next) => {
    page ??= (async () => {
      const res = await scalar(c, next);
      if (!res) throw new AppError("internal", "the API reference rendered nothing");
      const html = await res.text();
      return { html, csp: sameOriginPolicy(html) };
    })();
    const { html, csp } = await page;
    return c.html(html, 200, { "content-security-policy": csp });
  });
  app.openapi(assetRoute, async (c) => {
    if (c.req.valid("param").file !== bundle.name)
      throw new AppError("not_found", `no asset ${c.req.valid("param").file}`);
    const asset = await bundle.load();
    const headers = {
      "cache-control": "public, max-age=31536000, immutable",
      etag: asset.etag,
      vary: "accept-encoding",
      "x-content-type-options": "nosniff",
    };
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, headers);
    const gzipped = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
    const body = gzipped ? asset.gzip : asset.raw;
    return c.body(new Uint8Array(body), 200, {
      ...headers,
      "content-type": bundle.contentType,
      "content-length": String(body.length),
      ...(gzipped ? { "content-encoding": "gzip" } : {}),
    });
  });
}
