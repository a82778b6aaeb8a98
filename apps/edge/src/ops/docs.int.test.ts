import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { type Listening, listen } from "@conclave/http";
import { blockOffHost, launchBrowser, quietLogger, REPO_ROOT } from "@conclave/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge } from "../test-edge.js";

let edge: TestEdge;
let http: Listening;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  [edge, browser] = await Promise.all([startTestEdge(), launchBrowser()]);
  http = await listen({
    fetch: edge.app.fetch,
    hostname: "127.0.0.1",
    port: 0,
    log: quietLogger("edge"),
    name: "edge",
  });
  origin = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await browser?.close();
  await http?.close({ graceMs: 100 });
  await edge?.stop();
});

describe("/docs", () => {
  it("names only this origin, and forbids every other by its Content-Security-Policy", async () => {
    const res = await fetch(`${origin}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual([expect.stringMatching(/^\/docs\/assets\/api-reference-\d+\.\d+\.\d+\.js$/)]);
    expect(html).not.toMatch(/https?:\/\//);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/^default-src 'none'; script-src 'self' 'sha256-[^']+'; /);
    expect(csp).not.toMatch(/https?:|\*/);
  });

  it("serves the reference UI's script from the installed package, compressed and cached for a year", async () => {
    const html = await (await fetch(`${origin}/docs`)).text();
    const path = /src="(\/docs\/assets\/[^"]+)"/.exec(html)?.[1] ?? "";
    const res = await fetch(`${origin}${path}`, { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const script = await res.text();
    expect(script).toContain("createApiReference");
    const again = await fetch(`${origin}${path}`, {
      headers: { "if-none-match": res.headers.get("etag") ?? "" },
    });
    expect(again.status).toBe(304);
    const unknown = await fetch(`${origin}/docs/assets/other.js`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
  });

  it("renders in a browser with every other host unreachable, and asks none of them for anything", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const offHost = await blockOffHost(page, origin);
    const refused: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    let assetBytes = 0;
    page.on("response", async (r) => {
      if (r.url().includes("/docs/assets/")) assetBytes += (await r.request().sizes()).responseBodySize;
    });
    const started = performance.now();
    await page.goto(`${origin}/docs`);
    // The first tag's operations are listed; another tag's open on a click.
    await page.getByText("Upload a CSV; it is profiled").first().waitFor({ timeout: 30_000 });
    const renderMs = Math.round(performance.now() - started);
    // The document's title, and its heading on the first screen (before a click scrolls the
    // reference away from it, and it may render the introduction no more).
    expect(await page.title()).toBe("Conclave API");
    await page.getByRole("heading", { name: "Conclave API" }).first().waitFor({ timeout: 10_000 });
    await page.getByText("Messages", { exact: true }).first().click();
    await page.getByText("Post a message; it opens a turn").first().waitFor({ timeout: 10_000 });
    await page.waitForLoadState("networkidle");
    await mkdir(`${REPO_ROOT}/test-artifacts`, { recursive: true });
    await page.screenshot({ path: `${REPO_ROOT}/test-artifacts/docs.png` });
    // The numbers the docs cost: bytes over the wire, and the time to the first operation shown.
    console.info(`/docs: ${assetBytes} bytes of script over the wire, rendered in ${renderMs} ms`);
    expect(offHost).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  });
});
