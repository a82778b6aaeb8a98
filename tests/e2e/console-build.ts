import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "@conclave/testing";

const CONSOLE = join(REPO_ROOT, "apps", "console");

/** The newest modification time of a file under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds the console (a few seconds) unless its dist is newer than every source file. */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = join(CONSOLE, "dist", "index.html");
  const sources = Math.max(
    newest(join(CONSOLE, "src")),
    statSync(join(CONSOLE, "index.html")).mtimeMs,
    statSync(join(CONSOLE, "vite.config.ts")).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  // Its own process: under the test runner NODE_ENV is `test`, which would build React's development copy.
  await promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, "node_modules", "vite", "bin", "vite.js"), "build"],
    {
      cwd: CONSOLE,
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
}
