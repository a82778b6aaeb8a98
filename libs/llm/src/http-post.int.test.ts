import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpPost } from "./http-post.js";

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

/** A server that answers each POST with `parts` written one after another, counting its connections. */
async function serve(parts: string[], endAfter = true) {
  const seen = { connections: 0, bodies: [] as string[] };
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      seen.bodies.push(body);
      res.writeHead(200, { "content-type": "text/event-stream", "retry-after": "3" });
      for (const p of parts) res.write(p);
      if (endAfter) res.end();
    });
  });
  server.on("connection", () => seen.connections++);
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, seen };
}

const text = async (body: AsyncIterable<Uint8Array>, stopAt?: string) => {
  let out = "";
  for await (const c of body) {
    out += Buffer.from(c).toString();
    if (stopAt && out.includes(stopAt)) break;
  }
  return out;
};

describe("createHttpPost", () => {
  it("sends the body and headers, reads status, headers and the streamed body", async () => {
    const { url, seen } = await serve(["data: a\n\n", "data: [DONE]\n\n"]);
    const post = createHttpPost();
    const res = await post(url, { headers: { "content-type": "application/json" }, body: '{"q":"é"}' });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get("Retry-After")).toBe("3");
    expect(res.headers.get("x-missing")).toBeNull();
    expect(await text(res.body)).toBe("data: a\n\ndata: [DONE]\n\n");
    expect(seen.bodies).toEqual(['{"q":"é"}']);
  });

  it("keeps one connection for calls one after another, also when each stops reading at [DONE]", async () => {
    const { url, seen } = await serve(["data: a\n\n", "data: [DONE]\n\n"]);
    const post = createHttpPost();
    for (let i = 0; i < 5; i++) {
      const res = await post(url, { headers: {}, body: "{}" });
      expect(await text(res.body, "[DONE]")).toContain("[DONE]");
      // The rest of the body is read off the socket before it serves the next call.
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen.bodies).toHaveLength(5);
    expect(seen.connections).toBe(1);
  });

  it("rejects the read when the body is cut off, and when the call is aborted", async () => {
    const { url } = await serve(["data: a\n\n"], false);
    const post = createHttpPost();
    const res = await post(url, { headers: {}, body: "{}" });
    server?.closeAllConnections();
    await expect(text(res.body)).rejects.toThrow();
    const abort = new AbortController();
    const res2 = await post(url, { headers: {}, body: "{}", signal: abort.signal });
    abort.abort();
    await expect(text(res2.body)).rejects.toThrow();
  });

  it("waits out a pause longer than the idle-socket timeout: a model that thinks before it answers", async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: a\n\n");
        setTimeout(() => res.end("data: [DONE]\n\n"), 5000);
      });
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    const res = await createHttpPost()(url, { headers: {}, body: "{}" });
    expect(await text(res.body)).toBe("data: a\n\ndata: [DONE]\n\n");
  }, 20_000);

  it("rejects when nothing listens", async () => {
    const { url } = await serve([]);
    server?.close();
    await new Promise((r) => setTimeout(r, 20));
    await expect(createHttpPost()(url, { headers: {}, body: "{}" })).rejects.toThrow(/ECONNREFUSED/);
  });
});
