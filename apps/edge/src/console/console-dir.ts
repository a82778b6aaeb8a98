import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the console's built files are: `CONSOLE_DIR` when set, else `apps/console/dist` of the
 * checkout or image this module runs from (from its source or from the edge's bundle alike).
 */
export function consoleDir(configured: string | undefined, from = import.meta.url): string {
  if (configured) return resolve(configured);
  const start = dirname(fileURLToPath(from));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "apps", "console"))) return join(dir, "apps", "console", "dist");
    if (dirname(dir) === dir) break;
  }
  return resolve("apps/console/dist");
}
