import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Logger } from "@conclave/log";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * Builds the web console once (a few seconds) when this checkout has none yet, so the edge can
 * serve it at /console; a later `npm run build` refreshes it. Never fatal: the API runs without it.
 */
export async function ensureConsoleBuilt(log: Logger): Promise<void> {
  const dir = join(ROOT, "apps", "console");
  if (!existsSync(join(dir, "src")) || existsSync(join(dir, "dist", "index.html"))) return;
  const vite = join(ROOT, "node_modules", "vite", "bin", "vite.js");
  if (!existsSync(vite)) {
    log.warn("the console is not built and vite is not installed: run `npm ci` then `npm run build`");
    return;
  }
  log.info("building the web console (first start only)");
  try {
    await promisify(execFile)(process.execPath, [vite, "build", "--logLevel", "warn"], {
      cwd: dir,
      env: { ...process.env, NODE_ENV: "production" },
    });
  } catch (err) {
    log.warn({ err }, "could not build the console: run `npm run build` (the API works without it)");
  }
}

/** The origins a browser opening the console on this machine sends, added to the allowed ones. */
export function withConsoleOrigins(corsOrigins: string | undefined, host: string, edgePort: number): string {
  const own = [`http://${host}:${edgePort}`, `http://localhost:${edgePort}`, `http://127.0.0.1:${edgePort}`];
  const given = (corsOrigins ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  return [...new Set([...given, ...own])].join(",");
}
