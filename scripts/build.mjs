// The production build: each app's src/main.ts bundled into apps/<app>/dist/main.js (plain ESM
// JavaScript for Node), with the @conclave/* workspace packages inlined and every third-party
// package left external, so `npm ci --omit=dev` provides them and native modules stay intact.
// The web console (apps/console, React) is built by Vite into apps/console/dist: static files the
// edge serves under /console, so it is built with every build that includes the edge or the CLI.
//   node scripts/build.mjs [app ...]     (npm run build: every app)
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const APPS = ["edge", "orchestrator", "executor", "recorder", "fanout", "cli"];
// The edge serves the embeddable widget (one browser script) from beside its bundle; the CLI runs
// the edge in-process, so it ships one too.
const WITH_WIDGET = ["edge", "cli"];

// The tools' worker threads are separate entry points, started by URL next to the module that
// spawns them; in a bundle that module is dist/main.js, so they are built into dist/ too.
const WORKERS = ["profile-csv-worker.mjs", "run-js-worker.mjs"];

/** Third-party imports stay imports; the workspace's own packages are bundled from source. */
const externals = {
  name: "externals",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@conclave/")) return undefined;
      // The CSV worker registers tsx to load TypeScript; bundled, it is JavaScript already.
      if (args.path === "tsx/esm/api") return { path: args.path, namespace: "no-tsx" };
      return { path: args.path, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: "no-tsx" }, () => ({
      contents: "export function register() {}",
      loader: "js",
    }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20.19",
  // The workspace packages export their TypeScript sources (`exports: ./src/index.ts`).
  conditions: ["import", "node"],
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  plugins: [externals],
};

/** Every package named in a production `dependencies` field of the root or a workspace. */
async function productionDependencies() {
  const root = JSON.parse(await readFile(`${ROOT}package.json`, "utf8"));
  const names = new Set(Object.keys(root.dependencies ?? {}));
  const dirs = [
    "subjects",
    ...(await readdir(`${ROOT}libs`)).map((d) => `libs/${d}`),
    ...APPS.map((a) => `apps/${a}`),
  ];
  for (const dir of dirs) {
    const pkg = JSON.parse(await readFile(`${ROOT}${dir}/package.json`, "utf8").catch(() => "{}"));
    for (const name of Object.keys(pkg.dependencies ?? {})) names.add(name);
  }
  return names;
}

const packageOf = (path) =>
  path
    .split("/")
    .slice(0, path.startsWith("@") ? 2 : 1)
    .join("/");

/** The third-party packages a bundle imports; each must survive `npm ci --omit=dev`. */
function externalsOf(metafile) {
  const found = new Set();
  for (const input of Object.values(metafile.inputs))
    for (const imp of input.imports)
      if (imp.external && !imp.path.startsWith("node:")) found.add(packageOf(imp.path));
  return found;
}

/** Node looks a bare import up in node_modules from the importing file upwards. */
function resolvable(pkg, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (existsSync(`${dir}/node_modules/${pkg}/package.json`)) return true;
    if (!dir.startsWith(ROOT)) return false;
  }
}

/**
 * Fails the build when a bundle imports a package that `npm ci --omit=dev` would not install, or
 * that is installed only under another workspace (the CLI bundles every app's code).
 */
function check(what, externals, prod, out) {
  const notProd = [...externals].filter((p) => !prod.has(p));
  if (notProd.length)
    throw new Error(`${what} import packages that are not production dependencies: ${notProd.join(", ")}`);
  const unresolved = [...externals].filter((p) => !resolvable(p, out));
  if (unresolved.length)
    throw new Error(`${what} import packages not found from ${out}: ${unresolved.join(", ")}`);
}

async function buildApp(app, prod) {
  const out = `${ROOT}apps/${app}/dist`;
  await rm(`${out}/main.js`, { force: true });
  for (const f of await readdir(out).catch(() => [])) if (f.startsWith("chunk-")) await rm(`${out}/${f}`);
  const result = await build({
    ...common,
    entryPoints: [`${ROOT}apps/${app}/src/main.ts`],
    outdir: out,
    entryNames: "main",
    // A dynamic import stays lazy (the CLI loads the dev launcher, and with it every app, only for `dev`).
    splitting: true,
    // Beside main.js, never deeper: modules find drizzle/ and their workers relative to import.meta.url.
    chunkNames: "chunk-[hash]",
    metafile: true,
  });
  check(app, externalsOf(result.metafile), prod, out);
  // The CLI's source runs through tsx by its shebang; the bundle runs on plain node.
  const main = await readFile(`${out}/main.js`, "utf8");
  if (main.startsWith("#!"))
    await writeFile(`${out}/main.js`, `#!/usr/bin/env node\n${main.slice(main.indexOf("\n") + 1)}`);
  const workers = await build({
    ...common,
    metafile: true,
    entryPoints: WORKERS.map((w) => `${ROOT}libs/tools/src/${w}`),
    outdir: out,
    outExtension: { ".js": ".mjs" },
  });
  check(`${app}'s workers`, externalsOf(workers.metafile), prod, out);
  if (WITH_WIDGET.includes(app)) await Promise.all([buildWidget(out), copyDocsBundle(out)]);
}

/**
 * The API reference's browser bundle (one self-contained file of @scalar/api-reference, a dev
 * dependency: its 280 packages are not in the image), copied beside the bundle with its version.
 */
async function copyDocsBundle(out) {
  const main = createRequire(`${ROOT}apps/edge/package.json`).resolve("@scalar/api-reference");
  const root = join(dirname(main), "..");
  const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  await mkdir(`${out}/docs`, { recursive: true });
  await copyFile(join(root, "dist", "browser", "standalone.js"), `${out}/docs/api-reference.js`);
  await writeFile(`${out}/docs/api-reference.json`, `${JSON.stringify({ version })}\n`);
}

/** The widget, for browsers: one dependency-free file (options as apps/edge/src/widget/widget-script.ts). */
async function buildWidget(out) {
  await build({
    entryPoints: [`${ROOT}apps/edge/widget/src/widget.ts`],
    outfile: `${out}/widget.js`,
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2019",
    legalComments: "none",
    logLevel: "warning",
  });
}

/** The console's static files (apps/console/dist), built by Vite for production. */
async function buildConsole() {
  const { build: vite } = await import("vite");
  const root = `${ROOT}apps/console`;
  await vite({ root, configFile: `${root}/vite.config.ts`, mode: "production", logLevel: "warn" });
}

const wanted = process.argv.slice(2);
for (const app of wanted)
  if (!APPS.includes(app)) throw new Error(`unknown app ${app}: one of ${APPS.join(", ")}`);
const started = Date.now();
const prod = await productionDependencies();
const apps = wanted.length ? wanted : APPS;
const withConsole = apps.includes("edge") || apps.includes("cli");
await Promise.all([...apps.map((app) => buildApp(app, prod)), ...(withConsole ? [buildConsole()] : [])]);
console.log(
  `built ${[...apps, ...(withConsole ? ["console"] : [])].join(", ")} in ${Date.now() - started} ms`,
);
