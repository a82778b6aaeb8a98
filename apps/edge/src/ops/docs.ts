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
      security: [{ bearer: [] }],
    });
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
