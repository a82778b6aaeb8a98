import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { testEnv } from "./env.js";

function chromiumBin(): string {
  const bin = testEnv.CHROMIUM_BIN;
  if (!existsSync(bin))
    throw new Error(
      `no chromium at ${bin}: install it (Debian: \`apt-get install -y chromium\`, as .ci/run does) or set CHROMIUM_BIN`,
    );
  return bin;
}

/** Headless, and quiet: no update checks, sync or QUIC of its own to any host. */
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

/** A browser of the test's own: Debian's chromium, on a fresh temporary profile that `close()` removes. */
export async function launchBrowser(): Promise<Browser> {
  const bin = chromiumBin();
  // Playwright makes (and removes) the profile: it refuses a --user-data-dir of ours.
  return chromium.launch({ executablePath: bin, args: ARGS });
}

/**
 * Aborts every request of `page` to another origin than `origin`, and returns the list of them
 * (filled as the page runs): a page that works offline leaves it empty.
 */
export async function blockOffHost(page: Page, origin: string): Promise<string[]> {
  const off: string[] = [];
  const allowed = new URL(origin).origin;
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === allowed || url.startsWith("data:") || url.startsWith("blob:"))
      return route.continue();
    off.push(url);
    return route.abort("internetdisconnected");
  });
  return off;
}

export interface OwnBrowser {
  /** A context with its own fresh profile (cookies, storage). */
  context: BrowserContext;
  close(): Promise<void>;
}

/** `launchBrowser`'s chromium as one persistent context on a fresh temporary profile, removed on `close()`. */
export async function launchBrowserContext(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<OwnBrowser> {
  const bin = chromiumBin();
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
