import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

let built = false;

/**
 * Builds every app's production bundle once per bench process, so the bench runs what production
 * runs: a stale bundle would otherwise make the test harness start the TypeScript through tsx,
 * whose loader and source maps cost CPU that production does not pay.
 */
export function buildApps(progress: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  if (built) return;
  progress("building the production bundles (npm run build)");
  execFileSync(process.execPath, ["scripts/build.mjs"], {
    cwd: fileURLToPath(new URL("../", import.meta.url)),
    stdio: ["ignore", "ignore", "inherit"],
  });
  built = true;
}
