import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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
 * The standalone (self-contained, no chunks) bundle of `@scalar/api-reference`: the copy the
 * production build puts beside the bundle (dist/docs/, as the image has it: the package is a dev
 * dependency), else the package in node_modules (the source under tsx). Read and compressed on
 * first use: an edge that never serves /docs never reads its 3.5 MB.
 */
export function scalarBundle(): DocsAsset {
  const { file, version } = locate();
  let loaded: ReturnType<DocsAsset["load"]> | undefined;
  return {
    name: `api-reference-${version}.js`,
    contentType: "text/javascript; charset=utf-8",
    load() {
      loaded ??= (async () => {
        const raw = await readFile(file);
        return { raw, gzip: await promisify(gzip)(raw), etag: `"${version}"` };
      })();
      loaded.catch(() => {
        loaded = undefined;
      });
      return loaded;
    },
  };
}

function locate(): { file: string; version: string } {
  const built = fileURLToPath(new URL("./docs/api-reference.json", import.meta.url));
  if (existsSync(built)) {
    const { version } = JSON.parse(readFileSync(built, "utf8")) as { version: string };
    return { file: join(dirname(built), "api-reference.js"), version };
  }
  // The package exports no path to its browser build: find it beside its main module.
  const main = createRequire(import.meta.url).resolve("@scalar/api-reference");
  const root = join(dirname(main), "..");
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  return { file: join(root, "dist", "browser", "standalone.js"), version };
}
