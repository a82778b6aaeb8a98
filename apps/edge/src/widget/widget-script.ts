import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { EdgeEnv } from "../http/env.js";

/** The widget as the browser gets it: one file, and the tag that names its version. */
export interface WidgetScript {
  body: string;
  etag: string;
}

// The production build writes it beside the edge's bundle (dist/widget.js); from source (tsx), it
// is bundled from apps/edge/widget/src/ on first use with esbuild, which only development installs.
const BUILT = new URL("./widget.js", import.meta.url);
const SOURCE = new URL("../../widget/src/widget.ts", import.meta.url);

/** The esbuild options of the widget; scripts/build.mjs builds it with the same. */
export const WIDGET_BUILD = {
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2019",
  legalComments: "none",
  write: false,
} as const;

async function bundleFromSource(): Promise<string> {
  const name = "esbuild";
  const esbuild = (await import(name)) as typeof import("esbuild");
  const out = await esbuild.build({ ...WIDGET_BUILD, entryPoints: [fileURLToPath(SOURCE)] });
  const file = out.outputFiles[0];
  if (!file) throw new Error("the widget bundled to nothing");
  return file.text;
}

async function loadWidget(): Promise<WidgetScript> {
  const body = await readFile(BUILT, "utf8").catch(() => bundleFromSource());
  return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

const scriptRoute = createRoute({
  method: "get",
  path: "/widget.js",
  tags: ["Widget"],
  summary: "The embeddable chat widget (JavaScript; see the embed code of a widget key)",
  security: [],
  responses: {
    200: {
      description: "The script, cached for minutes and revalidated by its ETag.",
      content: { "text/javascript": { schema: z.string() } },
    },
    304: { description: "Unchanged since the ETag sent in If-None-Match." },
  },
});

/** `GET /widget.js`: public, cached by browsers for minutes and revalidated by its ETag. */
export function mountWidgetScript(app: OpenAPIHono<EdgeEnv>): void {
  let script: Promise<WidgetScript> | undefined;
  app.openapi(scriptRoute, async (c) => {
    script ??= loadWidget().catch((e: unknown) => {
      script = undefined;
      throw e;
    });
    const { body, etag } = await script;
    const headers = {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=300, stale-while-revalidate=3600",
      etag,
      "cross-origin-resource-policy": "cross-origin",
      "x-content-type-options": "nosniff",
    };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    return c.body(body, 200, headers);
  });
}
