import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";

/** The reference UI's browser bundle, as served: the bytes, gzipped once, and the name in its URL. */
export interface DocsAsset {
  /** `api-reference-<version>.js`: a new version is a new URL, so the old one may be cached for ever. */
  name: string;
  contentType: string;
  load(): Promise<{ raw: Buffer; gzip: Buffer; etag: string }>;
}

/**
 * The standalone (self-contained, no chunks) bundle of `@scalar/api-reference`, found from this
 * module in node_modules, as the source does under tsx and the production bundle in dist/ does.
 * Read and compressed on first use: an edge that never serves /docs never reads its 3.5 MB.
 */
export function scalarBundle(): DocsAsset {
  // The package exports no path to its browser build: find it beside its main module.
  const main = createRequire(import.meta.url).resolve("@scalar/api-reference");
  const root = join(dirname(main), "..");
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  let loaded: ReturnType<DocsAsset["load"]> | undefined;
  return {
    name: `api-reference-${version}.js`,
    contentType: "text/javascript; charset=utf-8",
    load() {
      loaded ??= (async () => {
        const raw = await readFile(join(root, "dist", "browser", "standalone.js"));
        return { raw, gzip: await promisify(gzip)(raw), etag: `"${version}"` };
      })();
      loaded.catch(() => {
        loaded = undefined;
      });
      return loaded;
    },
  };
}
