import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge } from "../test-edge.js";

let edge: TestEdge;
let dir: string;
const PAGE = '<!doctype html><script type="module" src="/console/assets/index-abc123.js"></script>';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "console-dist-"));
  await mkdir(join(dir, "assets"));
  await writeFile(join(dir, "index.html"), PAGE);
  await writeFile(join(dir, "assets", "index-abc123.js"), "console.log('hi')");
  edge = await startTestEdge({ CONSOLE_DIR: dir, FANOUT_PORT: "4555" });
});
afterAll(async () => {
  await edge?.stop();
  await rm(dir, { recursive: true, force: true });
});

const get = (path: string) => edge.app.request(`http://console.example:3000${path}`);

describe("the console's files on the edge", () => {
  it("answers the page for /console and every client route under it, never cached, with a CSP", async () => {
    for (const path of ["/console", "/console/", "/console/groups/abc/turns/def", "/console/usage"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(await res.text()).toBe(PAGE);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      // The widget preview reads the group's events from the fanout over HTTP too.
      expect(csp).toContain("connect-src 'self' ws://console.example:4555 http://console.example:4555");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
    }
  });

  it("serves hashed assets as immutable, and a missing one as a 404 problem (not the page)", async () => {
    const js = await get("/console/assets/index-abc123.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const gone = await get("/console/assets/index-old999.js");
    expect(gone.status).toBe(404);
    expect(gone.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(gone.headers.get("cache-control")).toBe("no-cache");
  });

  it("tells the page where the stream is: the request's host with the fanout's port by default", async () => {
    const res = await get("/console/config.json");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ streamUrl: "ws://console.example:4555/v1/stream" });
  });

  it("says how to build the console when there is no build", async () => {
    await rm(join(dir, "index.html"));
    const res = await get("/console/groups");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/npm run build/);
    await writeFile(join(dir, "index.html"), PAGE);
    expect((await get("/console")).status).toBe(200);
  });
});
