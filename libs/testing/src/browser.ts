import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { testEnv } from "./env.js";

/** Where Debian's `chromium` package puts the browser. */
const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Quiet, headless, offline-friendly: nothing is fetched beyond what the page asks for. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface OwnBrowser {
  /** A context with its own fresh profile (cookies, storage). */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium (Debian's, or `CHROMIUM_BIN`) with a fresh temporary profile; a clear error when missing. */
export async function launchBrowser(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<OwnBrowser> {
  const bin = testEnv.CHROMIUM_BIN ?? DEFAULT_CHROMIUM;
  if (!existsSync(bin))
    throw new Error(`no Chromium at ${bin}: install it (apt-get install -y chromium) or set CHROMIUM_BIN`);
  const profile = await mkdtemp(join(tmpdir(), "conclave-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: bin,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1280, height: 860 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
