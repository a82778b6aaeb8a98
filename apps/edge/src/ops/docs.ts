import { AppError } from "@conclave/errors";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { EdgeEnv } from "../http/env.js";
import { json } from "../http/openapi.js";

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

/** Serves the document at /openapi.json and the Scalar reference at /docs (both documented themselves). */
export function mountDocs(app: OpenAPIHono<EdgeEnv>): void {
  const document = openApiDocument(app);
  app.openapi(specRoute, (c) => c.json(document(), 200));
  const scalar = Scalar<EdgeEnv>({ url: "/openapi.json", pageTitle: "Conclave API" });
  app.openapi(docsRoute, async (c, next) => {
    const page = await scalar(c, next);
    if (!page) throw new AppError("internal", "the API reference rendered nothing");
    return page;
  });
}
