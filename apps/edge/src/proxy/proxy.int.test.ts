import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { type Listening, listen } from "@conclave/http";
import { capturingLogger, freePort, quietLogger } from "@conclave/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

// The upstream: records what reached it, and answers by path.
let seen: Seen[] = [];
let firstChunkIn: () => void = () => {};
let endSse: () => void = () => {};
const upstream: Server = createServer((req, res) => {
  const entry: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "" };
  seen.push(entry);
  const path = (req.url ?? "").split("?")[0];
  if (path === "/slow") {
    const t = setTimeout(() => res.end("late"), 3000);
    res.on("close", () => clearTimeout(t));
    return;
  }
  if (path === "/base/fail") {
    res.writeHead(500, { "content-type": "text/plain" }).end("upstream broke");
    return;
  }
  if (path === "/base/sse") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write("data: first\n\n");
    endSse = () => res.end("data: last\n\n");
    return;
  }
  req.on("data", (chunk: Buffer) => {
    if (entry.body === "") firstChunkIn();
    entry.body += chunk.toString();
  });
  req.on("end", () => {
    res.writeHead(200, {
      "content-type": "application/json",
      // Hop-by-hop: named by Connection, and the proxy ones; none may reach the client.
      connection: "keep-alive, x-upstream-hop",
      "x-upstream-hop": "for this connection only",
      "proxy-authenticate": "Basic",
      "x-upstream": "kept",
    });
    res.end(JSON.stringify({ method: req.method, url: req.url, bytes: entry.body.length }));
  });
});

let edge: TestEdge;
let http: Listening;
let origin: string;
let user: TestEdgeUser;
const logged = capturingLogger("edge");

beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const closed = await freePort();
  const routes = [
    { prefix: "/ext/echo", upstream: `${up}/base`, auth: "none", methods: ["GET", "POST"] },
    { prefix: "/ext/whole", upstream: `${up}/base`, stripPrefix: false, auth: "none" },
    { prefix: "/ext/private", upstream: `${up}/base`, auth: "required" },
    { prefix: "/ext/keyed", upstream: `${up}/base`, auth: "required", forwardAuthorization: true },
    { prefix: "/ext/slow", upstream: `${up}/slow`, auth: "none", timeoutMs: 300 },
    { prefix: "/ext/closed", upstream: `http://127.0.0.1:${closed}`, auth: "none" },
  ];
  edge = await startTestEdge(
    {
      PROXY_ROUTES: JSON.stringify(routes),
      RATE_LIMIT_IP_PER_MINUTE: "100000",
      RATE_LIMIT_IP_BURST: "10000",
    },
    { log: logged.log },
  );
  http = await listen({
    fetch: edge.app.fetch,
    hostname: "127.0.0.1",
    port: 0,
    log: quietLogger("edge"),
    name: "edge",
  });
  origin = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  user = await edge.register();
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  await http?.close({ graceMs: 100 });
  await edge?.stop();
});
beforeEach(() => {
  seen = [];
});

const problemOf = async (res: Response) => ({
  status: res.status,
  type: res.headers.get("content-type"),
  body: (await res.json()) as { status: number; detail: string },
});

describe("a proxy route to a local upstream", () => {
  it("passes a GET on below the prefix, with its query, hop-by-hop headers dropped both ways and X-Forwarded-* set", async () => {
    // node:http, as fetch refuses to send a Connection header of its own.
    const res = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const req = request(`${origin}/ext/echo/things/1?a=b&c=d`, {
          headers: {
            authorization: `Bearer ${user.token}`,
            connection: "keep-alive, x-client-hop",
            "x-client-hop": "for this connection only",
            "proxy-authorization": "Basic c2VjcmV0",
            "proxy-connection": "keep-alive",
            te: "trailers",
            "x-client": "kept",
          },
        });
        req.on("error", reject);
        req.on("response", (r) => {
          let body = "";
          r.on("data", (c: Buffer) => {
            body += c.toString();
          });
          r.on("end", () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
        });
        req.end();
      },
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ method: "GET", url: "/base/things/1?a=b&c=d", bytes: 0 });
    expect(res.headers["x-upstream"]).toBe("kept");
    expect(res.headers["x-upstream-hop"]).toBeUndefined();
    expect(res.headers["proxy-authenticate"]).toBeUndefined();
    expect(seen).toHaveLength(1);
    const h = seen[0]?.headers ?? {};
    expect(h["x-client"]).toBe("kept");
    for (const name of ["x-client-hop", "proxy-authorization", "proxy-connection", "te", "authorization"])
      expect(h[name], name).toBeUndefined();
    expect(h["x-forwarded-for"]).toBe("127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-forwarded-host"]).toBe(new URL(origin).host);
    // The upstream's own host, not the edge's.
    expect(h.host).toBe(`127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });

  it("keeps the prefix in the path when the route does not strip it", async () => {
    const res = await fetch(`${origin}/ext/whole/x`);
    expect(await res.json()).toMatchObject({ url: "/base/ext/whole/x" });
  });

  it("streams a POST body to the upstream: its first chunk arrives before the caller has sent the rest", async () => {
    const firstArrived = new Promise<void>((resolve) => {
      firstChunkIn = resolve;
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${origin}/ext/echo/upload`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
      });
      req.on("error", reject);
      req.on("response", (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.write("a".repeat(1000));
      // The rest is sent only once the upstream has the first part: a buffering proxy never gets here.
      void firstArrived.then(() => req.end("b".repeat(500)));
    });
    const { status, body } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ method: "POST", url: "/base/upload", bytes: 1500 });
  });

  it("streams an SSE response: the first event reaches the caller while the upstream still holds it open", async () => {
    const res = await fetch(`${origin}/ext/echo/sse`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: first\n\n");
    endSse();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toBe("data: last\n\n");
  });

  it("passes an upstream's 500 on as its own answer", async () => {
    const res = await fetch(`${origin}/ext/echo/fail`);
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe("upstream broke");
  });
});

describe("when the upstream fails", () => {
  it("answers 504 problem+json when the upstream is slower than the route's timeout", async () => {
    const started = performance.now();
    const p = await problemOf(await fetch(`${origin}/ext/slow`));
    expect(performance.now() - started).toBeLessThan(2500);
    expect(p).toMatchObject({ status: 504, type: "application/problem+json" });
    expect(p.body).toMatchObject({
      status: 504,
      detail: "the upstream of /ext/slow did not answer within 300 ms",
    });
    expect(seen.map((s) => s.url)).toEqual(["/slow"]);
  });

  it("answers 502 problem+json when nothing listens at the upstream", async () => {
    const p = await problemOf(await fetch(`${origin}/ext/closed/x`));
    expect(p).toMatchObject({ status: 502, type: "application/problem+json" });
    expect(p.body.detail).toBe("the upstream of /ext/closed is unreachable or failed");
  });
});

describe("what a route allows", () => {
  it("refuses a method it does not pass on with 405 and Allow, before the upstream sees it", async () => {
    const res = await fetch(`${origin}/ext/echo/x`, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(seen).toEqual([]);
  });

  it("asks for the edge's credential on an authenticated route, and drops it on the way unless told to forward it", async () => {
    const none = await fetch(`${origin}/ext/private/x`);
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    expect(seen).toEqual([]);
    const bearer = { authorization: `Bearer ${user.token}` };
    expect((await fetch(`${origin}/ext/private/x`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${origin}/ext/keyed/x`, { headers: bearer })).status).toBe(200);
    expect(seen.map((s) => [s.url, s.headers.authorization])).toEqual([
      ["/base/x", undefined],
      ["/base/x", bearer.authorization],
    ]);
  });
});

describe("the access log", () => {
  it("names the route, and the upstream's status or what failed, on each proxied request's line", async () => {
    await (await fetch(`${origin}/ext/echo/fail`)).text();
    await (await fetch(`${origin}/ext/closed/x`)).text();
    const lines = logged.lines
      .map((l) => JSON.parse(l) as { msg: string; route?: string; status?: number; proxy?: unknown })
      .filter((l) => l.msg === "request" && l.proxy);
    expect(lines.at(-2)).toMatchObject({
      route: "/ext/echo/*",
      status: 500,
      proxy: { prefix: "/ext/echo", upstreamStatus: 500, upstreamMs: expect.any(Number) },
    });
    expect(lines.at(-1)).toMatchObject({
      route: "/ext/closed/*",
      status: 502,
      proxy: { prefix: "/ext/closed", failure: "ECONNREFUSED" },
    });
  });
});

/** A request line sent as written (fetch and http.request would normalise some of these). */
function rawRequest(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(origin);
    const socket = connect(Number(port), "127.0.0.1", () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    });
    let text = "";
    socket.on("data", (c: Buffer) => {
      text += c.toString();
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}
const statusLine = (raw: string) => raw.split("\r\n")[0];

describe("a path that tries to leave the prefix", () => {
  it("never reaches anything but the configured upstream, below the prefix", async () => {
    const answers: Record<string, string | undefined> = {};
    for (const target of [
      "/ext/echo/../../v1/groups",
      "/ext/echo/%2e%2e/%2e%2e/v1/groups",
      "/ext/echo/a/%2e%2e%2f%2e%2e%2fv1",
      "/ext/echo/%252e%252e/x",
      "/ext/echo/a%2f..%2f..%2fb",
      "/ext/echo/a%5c..%5cb",
      "/ext/echo//evil.example/x",
      "http://evil.example/ext/echo/y",
    ])
      answers[target] = statusLine(await rawRequest(target));
    expect(answers).toEqual({
      // Dot segments are resolved before routing: the edge's own route answers (it wants a credential).
      "/ext/echo/../../v1/groups": "HTTP/1.1 401 Unauthorized",
      "/ext/echo/%2e%2e/%2e%2e/v1/groups": "HTTP/1.1 401 Unauthorized",
      "/ext/echo/a/%2e%2e%2f%2e%2e%2fv1": "HTTP/1.1 400 Bad Request",
      "/ext/echo/%252e%252e/x": "HTTP/1.1 400 Bad Request",
      "/ext/echo/a%2f..%2f..%2fb": "HTTP/1.1 400 Bad Request",
      "/ext/echo/a%5c..%5cb": "HTTP/1.1 400 Bad Request",
      "/ext/echo//evil.example/x": "HTTP/1.1 400 Bad Request",
      // An absolute-form target picks no host: the configured upstream gets the path below the prefix.
      "http://evil.example/ext/echo/y": "HTTP/1.1 200 OK",
    });
    expect(seen.map((s) => [s.url, s.headers.host])).toEqual([
      ["/base/y", `127.0.0.1:${(upstream.address() as AddressInfo).port}`],
    ]);
  });
});
