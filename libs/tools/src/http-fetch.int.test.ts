import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AppError } from "@conclave/errors";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpFetchTool, type HttpFetchConfig, httpFetch, type Resolver } from "./http-fetch.js";
import { runTool } from "./run-tool.js";
import { createToolRegistry } from "./tool-registry.js";

// Only 127.0.0.1 is ever contacted: every other address below must be refused before connecting.
let server: Server;
let port: number;
const hits: { path: string; headers: IncomingHttpHeaders }[] = [];
let bigResponse: { finished: boolean; closed: Promise<void> } | undefined;

function streamBig(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, "a");
  let left = (10 * 1024 * 1024) / chunk.length;
  let finished = false;
  const closed = once(res, "close").then(() => undefined);
  bigResponse = {
    get finished() {
      return finished;
    },
    closed,
  };
  res.writeHead(200, { "content-type": "text/plain" });
  const pump = () => {
    while (left > 0) {
      left--;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end(() => {
      finished = true;
    });
  };
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    hits.push({ path, headers: req.headers });
    if (path === "/")
      return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<p>héllo</p>");
    if (path === "/headers")
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(req.headers));
    if (path === "/binary")
      return void res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.alloc(10));
    if (path === "/to-metadata")
      return void res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" }).end();
    if (path === "/to-private-ip") return void res.writeHead(301, { location: "http://10.0.0.1/" }).end();
    if (path === "/to-file") return void res.writeHead(302, { location: "file:///etc/passwd" }).end();
    if (path === "/to-elsewhere")
      return void res.writeHead(307, { location: "http://elsewhere.test/" }).end();
    if (path === "/to-root") return void res.writeHead(302, { location: "/" }).end();
    if (path === "/loop") return void res.writeHead(302, { location: "/loop" }).end();
    if (path === "/big") return streamBig(res);
    if (path === "/hang") return; // never answers
    res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, "close");
});

beforeEach(() => {
  hits.length = 0;
  bigResponse = undefined;
});

/** A resolver the test controls; a name it does not know fails the test. */
function fakeDns(table: Record<string, string[]>, asked: string[] = []): Resolver {
  return async (host) => {
    asked.push(host);
    const addresses = table[host];
    if (!addresses) throw new Error(`unexpected DNS lookup of ${host}`);
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

async function refusal(config: HttpFetchConfig, url: string): Promise<AppError> {
  try {
    await httpFetch(config, { url }, new AbortController().signal);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error(`${url} was fetched`);
}

const anyHost = (extra: Partial<HttpFetchConfig> = {}): HttpFetchConfig => ({
  allowHosts: ["*"],
  resolve: fakeDns({}),
  ...extra,
});

describe("http_fetch refuses SSRF targets from the address alone, before connecting", () => {
  it.each([
    ["http://127.0.0.1:PORT/", "127.0.0.1 is a loopback address"],
    ["http://[::1]:PORT/", "::1 is a loopback address"],
    ["http://169.254.169.254/latest/meta-data", "169.254.169.254 is a cloud metadata address"],
    ["http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"],
    ["http://0.0.0.0/", "0.0.0.0 is a unspecified address"],
    ["http://10.0.0.1/", "10.0.0.1 is a private address"],
    ["http://192.168.0.1/", "192.168.0.1 is a private address"],
    ["http://100.64.0.1/", "100.64.0.1 is a carrier-grade NAT (100.64.0.0/10) address"],
    ["http://[::ffff:127.0.0.1]:PORT/", "::ffff:7f00:1 is a loopback address"],
    ["http://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe is a cloud metadata address"],
    ["http://2130706433:PORT/", "127.0.0.1 is a loopback address"],
    ["http://0x7f.1:PORT/", "127.0.0.1 is a loopback address"],
  ])("%s", async (raw, why) => {
    const e = await refusal(anyHost(), raw.replace("PORT", String(port)));
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain(why);
    expect(e.message).toContain("only public addresses may be fetched");
    expect(hits).toEqual([]);
  });

  it("refuses localhost through the system resolver", async () => {
    const e = await refusal({ allowHosts: ["localhost"] }, `http://localhost:${port}/`);
    expect(e.code).toBe("forbidden");
    expect(e.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(hits).toEqual([]);
  });

  it("refuses a name that resolves to a private or loopback address", async () => {
    const resolve = fakeDns({ "evil.test": ["10.1.2.3"], "rebind.test": ["127.0.0.1"] });
    const evil = await refusal({ allowHosts: ["*.test"], resolve }, "http://evil.test/");
    expect(evil.message).toBe(
      "http_fetch: refused http://evil.test/: evil.test resolves to 10.1.2.3, a private address; only public addresses may be fetched",
    );
    const rebind = await refusal({ allowHosts: ["*.test"], resolve }, `http://rebind.test:${port}/`);
    expect(rebind.message).toContain("rebind.test resolves to 127.0.0.1, a loopback address");
    expect(hits).toEqual([]);
  });

  it("refuses a name when any one of its addresses is private", async () => {
    const resolve = fakeDns({ "mixed.test": ["93.184.216.34", "192.168.1.10"] });
    const e = await refusal({ allowHosts: ["mixed.test"], resolve }, "http://mixed.test/");
    expect(e.message).toContain("mixed.test resolves to 192.168.1.10, a private address");
  });

  it("refuses a host that is not on the allow-list, without resolving it", async () => {
    const asked: string[] = [];
    const e = await refusal(
      { allowHosts: ["example.com", "*.example.org"], resolve: fakeDns({}, asked) },
      "https://other.test/x",
    );
    expect(e).toMatchObject({
      code: "forbidden",
      message: "http_fetch: refused https://other.test/x: other.test is not on this tool's allow-list",
    });
    expect(asked).toEqual([]);
  });

  it("refuses schemes other than http and https (validation in the tool, refusal in the fetch)", async () => {
    const registry = createToolRegistry([createHttpFetchTool(anyHost())]);
    for (const url of ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/"]) {
      const out = await runTool(registry, {
        name: "http_fetch",
        args: { url },
        allowedTools: ["http_fetch"],
      });
      expect(!out.ok && out.error).toMatchObject({ code: "validation", fields: [{ path: "url" }] });
      expect((await refusal(anyHost(), url)).message).toMatch(/only http and https are allowed/);
    }
  });
});

describe("http_fetch against a local server (loopback allowed for the test only)", () => {
  const local = (extra: Partial<HttpFetchConfig> = {}): HttpFetchConfig => ({
    allowHosts: ["127.0.0.1", "pinned.test"],
    allowLoopbackForTests: true,
    resolve: fakeDns({ "pinned.test": ["127.0.0.1"] }),
    ...extra,
  });
  const fetchLocal = (path: string, extra: Partial<HttpFetchConfig> = {}, method: "GET" | "HEAD" = "GET") =>
    httpFetch(local(extra), { url: `http://127.0.0.1:${port}${path}`, method }, new AbortController().signal);

  it("returns status, content type and decoded text", async () => {
    expect(await fetchLocal("/")).toEqual({
      url: `http://127.0.0.1:${port}/`,
      status: 200,
      contentType: "text/html; charset=utf-8",
      text: "<p>héllo</p>",
      truncated: false,
      redirects: 0,
    });
    expect(await fetchLocal("/", {}, "HEAD")).toMatchObject({ status: 200, text: "" });
    expect(await fetchLocal("/binary")).toMatchObject({ contentType: "application/octet-stream", text: "" });
  });

  it("connects to the vetted address while keeping the name, and strips credentials", async () => {
    const asked: string[] = [];
    const result = await httpFetch(
      local({ resolve: fakeDns({ "pinned.test": ["127.0.0.1"] }, asked) }),
      { url: `http://user:secret@pinned.test:${port}/headers` },
      new AbortController().signal,
    );
    expect(result.url).toBe(`http://pinned.test:${port}/headers`);
    const seen = JSON.parse(result.text) as Record<string, string>;
    expect(seen.host).toBe(`pinned.test:${port}`);
    expect(seen.authorization).toBeUndefined();
    expect(seen["accept-encoding"]).toBe("identity");
    expect(asked).toEqual(["pinned.test"]);
  });

  it("follows a redirect on the allowed host, re-checking it", async () => {
    expect(await fetchLocal("/to-root")).toMatchObject({ status: 200, text: "<p>héllo</p>", redirects: 1 });
  });

  it.each([
    ["/to-metadata", "169.254.169.254 is a cloud metadata address"],
    ["/to-private-ip", "10.0.0.1 is a private address"],
    ["/to-file", "only http and https are allowed, not file:"],
    ["/to-elsewhere", "elsewhere.test is not on this tool's allow-list"],
  ])("refuses the redirect of %s", async (path, why) => {
    const e = await fetchLocal(path).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe("forbidden");
    expect((e as AppError).message).toContain(why);
    expect(hits.map((h) => h.path)).toEqual([path]);
  });

  it("stops after 3 redirects", async () => {
    await expect(fetchLocal("/loop")).rejects.toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/more than 3 redirects/),
    });
    expect(hits.map((h) => h.path)).toEqual(["/loop", "/loop", "/loop", "/loop"]);
  });

  it("cuts a 10 MB body off at the byte cap and closes the connection", async () => {
    const result = await fetchLocal("/big", { maxBytes: 64 * 1024 });
    expect(result.truncated).toBe(true);
    expect(result.text).toHaveLength(64 * 1024);
    await bigResponse?.closed;
    expect(bigResponse?.finished).toBe(false);
  });

  it("caps the text returned to the model", async () => {
    const result = await fetchLocal("/big", { maxBytes: 200 * 1024, maxTextChars: 1000 });
    expect(result).toMatchObject({ truncated: true });
    expect(result.text).toHaveLength(1000);
  });

  it("gives up on a server that never answers at its time limit", async () => {
    const started = Date.now();
    await expect(fetchLocal("/hang", { timeoutMs: 300 })).rejects.toMatchObject({
      code: "timeout",
      message: `http_fetch of http://127.0.0.1:${port} did not finish within 300 ms`,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("runs as a tool", async () => {
    const registry = createToolRegistry([createHttpFetchTool(local())]);
    const out = await runTool(registry, {
      name: "http_fetch",
      args: { url: `http://127.0.0.1:${port}/` },
      allowedTools: ["http_fetch"],
    });
    expect(out).toMatchObject({ ok: true, result: { status: 200, text: "<p>héllo</p>" } });
  });
});
