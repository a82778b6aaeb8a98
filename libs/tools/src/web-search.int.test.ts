import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runTool } from "./run-tool.js";
import { createToolRegistry } from "./tool-registry.js";
import { createWebSearchTool, webSearch } from "./web-search.js";

interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  hang?: boolean;
}

let server: Server;
let baseUrl: string;
const requests: { method: string; path: string; authorization?: string; body: unknown }[] = [];
let reply: Reply;

const tavilyAnswer = {
  query: "quickjs",
  answer: null,
  response_time: 0.4,
  results: [
    {
      title: "QuickJS",
      url: "https://bellard.org/quickjs/",
      content: "A small JavaScript engine.",
      score: 0.9,
    },
    {
      title: "quickjs-emscripten",
      url: "https://github.com/justjake/quickjs-emscripten",
      content: "x".repeat(50),
      score: 0.8,
    },
    { url: "https://no-title.test/", content: "untitled", score: 0.1 },
  ],
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => {
      raw += c.toString();
    });
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        path: req.url ?? "",
        ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
        body: raw === "" ? undefined : JSON.parse(raw),
      });
      if (reply.hang) return;
      res
        .writeHead(reply.status, { "content-type": "application/json", ...reply.headers })
        .end(reply.body ?? "");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, "close");
});

beforeEach(() => {
  requests.length = 0;
  reply = { status: 200, body: JSON.stringify(tavilyAnswer) };
});

const signal = () => new AbortController().signal;
const config = () => ({ baseUrl, apiKey: "tvly-test-key", maxContentChars: 30 });

describe("web_search against a fake Tavily server", () => {
  it("POSTs the query to {base}/search and maps the results to title, url and content", async () => {
    const result = await webSearch(config(), { query: "quickjs", maxResults: 3 }, signal());
    expect(requests).toEqual([
      {
        method: "POST",
        path: "/search",
        authorization: "Bearer tvly-test-key",
        body: { api_key: "tvly-test-key", query: "quickjs", max_results: 3 },
      },
    ]);
    expect(result).toEqual({
      query: "quickjs",
      results: [
        { title: "QuickJS", url: "https://bellard.org/quickjs/", content: "A small JavaScript engine." },
        {
          title: "quickjs-emscripten",
          url: "https://github.com/justjake/quickjs-emscripten",
          content: `${"x".repeat(30)}…`,
        },
        { title: "", url: "https://no-title.test/", content: "untitled" },
      ],
    });
  });

  it("never returns more results than asked for", async () => {
    const result = await webSearch(config(), { query: "quickjs", maxResults: 1 }, signal());
    expect(result.results).toHaveLength(1);
  });

  it.each([
    [401, "permanent", "web_search: the search service refused the API key (401)", {}],
    [429, "rate_limited", "web_search: the search service is rate limiting", { "retry-after": "7" }],
    [400, "validation", "web_search: the search service rejected the query (400)", {}],
    [502, "unavailable", "web_search: the search service answered 502", {}],
  ])("maps status %s to %s, without the key in the message", async (status, code, message, headers) => {
    reply = { status, headers, body: "{}" };
    const error = await webSearch(config(), { query: "q", maxResults: 1 }, signal()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code, message });
    expect(String((error as Error).message)).not.toContain("tvly-test-key");
    if (status === 429) expect(error).toMatchObject({ retryAfterSeconds: 7 });
  });

  it("reports an answer that is not JSON or has no results as unavailable", async () => {
    reply = { status: 200, body: "<html>" };
    await expect(webSearch(config(), { query: "q", maxResults: 1 }, signal())).rejects.toMatchObject({
      code: "unavailable",
      message: "web_search: the search service sent an answer that is not JSON",
    });
    reply = { status: 200, body: '{"error":"nope"}' };
    await expect(webSearch(config(), { query: "q", maxResults: 1 }, signal())).rejects.toMatchObject({
      code: "unavailable",
      message: "web_search: the search service sent an answer without results",
    });
  });

  it("gives up on a server that does not answer in time", async () => {
    reply = { status: 200, hang: true };
    const started = Date.now();
    await expect(
      webSearch({ ...config(), timeoutMs: 200 }, { query: "q", maxResults: 1 }, signal()),
    ).rejects.toMatchObject({ code: "timeout", message: "web_search did not finish within 200 ms" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("runs as a tool, with a default number of results and the cap in the schema", async () => {
    const registry = createToolRegistry([createWebSearchTool({ ...config(), maxResults: 4 })]);
    const ok = await runTool(registry, {
      name: "web_search",
      args: { query: " quickjs " },
      allowedTools: ["web_search"],
    });
    expect(ok).toMatchObject({ ok: true, result: { query: "quickjs" } });
    expect(requests[0]?.body).toEqual({ api_key: "tvly-test-key", query: "quickjs", max_results: 4 });
    const tooMany = await runTool(registry, {
      name: "web_search",
      args: { query: "q", maxResults: 5 },
      allowedTools: ["web_search"],
    });
    expect(!tooMany.ok && tooMany.error).toMatchObject({
      code: "validation",
      fields: [{ path: "maxResults" }],
    });
  });
});
