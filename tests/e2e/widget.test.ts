import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  freePort,
  launchBrowser,
  REPO_ROOT,
  StreamClient,
  startSystem,
  type TestSystem,
  type TestUser,
  waitUntil,
} from "@conclave/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The embeddable widget end to end: a shop's page on another origin loads /widget.js from the edge
// in headless Chromium, and its visitor talks to a group of scripted agents with the group's widget
// key, which reads and posts nowhere else and from no other page.

const ARTIFACTS = `${REPO_ROOT}test-artifacts`;
const REPLIES = {
  Ada: "Hello! I'm Ada. Our store ships worldwide within 3 business days.",
  Brook: "And returns are free for 30 days. Anything else I can help with?",
};

let sys: TestSystem;
let browser: Browser;
let shop: Server;
let elsewhere: Server;
let fanoutUrl = "";
let streamUrl = "";
let shopOrigin = "";
let elsewhereOrigin = "";
let groupId = "";
let otherGroupId = "";
let keyId = "";
let widgetKey = "";
let embed = "";
let viewer: TestUser;
let stranger: TestUser;

// Run in the page (the tests' TypeScript has no DOM types): what has focus inside the widget, and
// how its header is styled.
const FOCUSED_LABEL = `(() => {
  const root = document.querySelector("[data-conclave-widget]").shadowRoot;
  const el = root.activeElement;
  return el && el.id ? root.querySelector('label[for="' + el.id + '"]').textContent : null;
})()`;
const HEADER_LOOK = `(() => {
  const header = document.querySelector("[data-conclave-widget]").shadowRoot.querySelector("header");
  const title = getComputedStyle(header.querySelector("h2"));
  return { bg: getComputedStyle(header).backgroundColor, font: title.fontFamily, size: title.fontSize };
})()`;

/** A plain page of a shop, with CSS that would spoil any widget it leaked into. */
const shopPage = (code: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northwind Outfitters</title>
<style>
  body { margin: 0; font-family: Georgia, serif; background: #f7f5f0; color: #2d2a26; letter-spacing: .02em; }
  nav { display: flex; justify-content: space-between; padding: 22px 48px; border-bottom: 1px solid #e4dfd5; }
  nav b { font-size: 20px; } nav span { margin-left: 28px; color: #6d665c; }
  main { padding: 72px 48px; max-width: 640px; }
  h1 { font-size: 44px; line-height: 1.1; margin: 0 0 18px; }
  p { font-size: 18px; line-height: 1.6; color: #5a544b; }
  button { background: red; color: yellow; font-family: "Comic Sans MS", cursive; border: 4px dashed lime; }
  ol, li, div, h2 { color: magenta; font-size: 30px; }
</style></head>
<body>
  <nav><b>Northwind Outfitters</b><div><span>Shop</span><span>Journal</span><span>Help</span></div></nav>
  <main><h1>Gear for the long way round.</h1>
  <p>Waxed jackets, wool layers and packs built to be repaired, not replaced. Questions about sizing,
  shipping or returns? Our assistants are one click away.</p><button>Shop the collection</button></main>
  ${code}
</body></html>`;

function serve(html: () => string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== "/") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
const originOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

/** Every bubble of the transcript (greeting included, the typing dots not), as the visitor reads it. */
async function transcript(page: Page): Promise<string[]> {
  return page.locator("[data-conclave-widget] .log .msg:not(.typing) .bubble").allInnerTexts();
}

async function history(id: string) {
  const res = await sys.get(`/v1/groups/${id}/messages?limit=500`);
  return res.body.items as {
    type: string;
    content: string;
    author: { kind: string; id: string; name: string | null };
  }[];
}

/** The edge as a widget's page would call it: the key, and the page's Origin (unless null). */
function asWidget(method: string, path: string, origin: string | null, body?: unknown) {
  return sys.request(method, path, {
    token: widgetKey,
    ...(body === undefined ? {} : { body }),
    headers: origin ? { origin } : {},
  });
}

/** The fanout's SSE stream: its status and CORS header, without reading the stream. */
async function events(id: string, origin: string | null, token = widgetKey) {
  const ac = new AbortController();
  const res = await fetch(`${fanoutUrl}/v1/groups/${id}/events?afterSeq=0`, {
    headers: { authorization: `Bearer ${token}`, ...(origin ? { origin } : {}) },
    signal: ac.signal,
  });
  const out = { status: res.status, allowOrigin: res.headers.get("access-control-allow-origin") };
  ac.abort();
  return out;
}

beforeAll(async () => {
  const fanoutPort = await freePort();
  sys = await startSystem({
    env: {
      FANOUT_PORT: String(fanoutPort),
      WIDGET_STREAM_URL: `http://127.0.0.1:${fanoutPort}`,
      // The operator's own app origin: not the shop's, whose access comes from its widget key only.
      CORS_ORIGINS: "https://console.conclave.example",
      RATE_LIMIT_IP_BURST: "1000",
    },
  });
  fanoutUrl = `http://127.0.0.1:${fanoutPort}`;
  streamUrl = `ws://127.0.0.1:${fanoutPort}/v1/stream`;
  [viewer, stranger] = [await sys.register(), await sys.register()];
  const created = await sys.post("/v1/groups", {
    name: "Northwind help desk",
    agents: [
      { name: "Ada", scripted: { replies: [REPLIES.Ada], tokenDelayMs: 40 } },
      { name: "Brook", scripted: { replies: [REPLIES.Brook], tokenDelayMs: 40 } },
    ],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  groupId = created.body.id as string;
  const other = await sys.post("/v1/groups", {
    name: "the owner's private group",
    agents: [{ name: "Eve" }],
  });
  otherGroupId = other.body.id as string;
  expect((await sys.post(`/v1/groups/${otherGroupId}/messages`, { content: "private plans" })).status).toBe(
    202,
  );
  expect(
    (await sys.post(`/v1/groups/${groupId}/members`, { email: viewer.email, role: "member" })).status,
  ).toBe(201);
  shop = await serve(() => shopPage(embed));
  elsewhere = await serve(() => shopPage(embed));
  [shopOrigin, elsewhereOrigin] = [originOf(shop), originOf(elsewhere)];
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => shop?.close(r));
  await new Promise((r) => elsewhere?.close(r));
  await sys?.stop();
});

describe("widget keys", () => {
  it("are created by the group's owners only, with the embed code holding the secret once", async () => {
    const body = {
      name: "shop",
      origins: [`${shopOrigin}/`],
      theme: {
        title: "Northwind help",
        greeting: "Hi! Ask us about sizing, shipping or returns.",
        primary: "#0F766E",
      },
    };
    const asMember = await sys.post(`/v1/groups/${groupId}/widget-keys`, body, viewer.accessToken);
    expect(asMember.status).toBe(403);
    const asStranger = await sys.post(`/v1/groups/${groupId}/widget-keys`, body, stranger.accessToken);
    expect(asStranger.status).toBe(404);
    const bad = await sys.post(`/v1/groups/${groupId}/widget-keys`, {
      ...body,
      origins: ["https://shop.example/page"],
      theme: { primary: "teal" },
    });
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      "body.origins.0",
      "body.theme.primary",
    ]);

    const res = await sys.post(`/v1/groups/${groupId}/widget-keys`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    widgetKey = res.body.key as string;
    keyId = res.body.id as string;
    expect(res.body.origins).toEqual([shopOrigin]);
    const created = res.body.embed as { html: string; keyPlaceholder: string | null };
    expect(created.keyPlaceholder).toBeNull();
    expect(created.html).toBe(
      `<script src="${sys.edgeUrl}/widget.js" data-group="${groupId}" data-key="${widgetKey}" data-stream="${fanoutUrl}" data-title="Northwind help" data-greeting="Hi! Ask us about sizing, shipping or returns." data-primary="#0f766e" async></script>`,
    );
    embed = created.html;

    const again = await sys.get(`/v1/groups/${groupId}/widget-keys/${keyId}/embed`);
    expect(again.status).toBe(200);
    expect(again.body.html).toBe(created.html.replace(widgetKey, again.body.keyPlaceholder as string));
    expect(JSON.stringify(again.body)).not.toContain(widgetKey);
    const listed = await sys.get(`/v1/groups/${groupId}/widget-keys`);
    expect((listed.body.items as { id: string }[]).map((k) => k.id)).toEqual([keyId]);
    expect(JSON.stringify(listed.body)).not.toContain(widgetKey);
    // Not an account key: the owner's key list does not hold it.
    const keys = await sys.get("/v1/api-keys");
    expect((keys.body.items as { id: string }[]).map((k) => k.id)).not.toContain(keyId);
    expect((await sys.get(`/v1/groups/${groupId}/widget-keys`, viewer.accessToken)).status).toBe(403);
    expect(
      (await sys.get(`/v1/groups/${groupId}/widget-keys/${keyId}/embed`, stranger.accessToken)).status,
    ).toBe(404);
  });
});

describe("the widget on a shop's page", () => {
  it("loads from the edge, opens, posts and shows the agents' replies as they come", async () => {
    const script = await fetch(`${sys.edgeUrl}/widget.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(script.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const etag = script.headers.get("etag") ?? "";
    expect((await fetch(`${sys.edgeUrl}/widget.js`, { headers: { "if-none-match": etag } })).status).toBe(
      304,
    );

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const failures: string[] = [];
    page.on("pageerror", (e) => failures.push(e.message));
    await page.goto(`${shopOrigin}/`);
    const launcher = page.getByRole("button", { name: "Open chat: Northwind help" });
    await launcher.waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/widget-closed.png` });

    // Keyboard: the launcher opens the panel with the message box focused; Escape closes it.
    await launcher.focus();
    await page.keyboard.press("Enter");
    const box = page.getByRole("textbox", { name: "Your message" });
    await expect.poll(() => page.evaluate(FOCUSED_LABEL)).toBe("Your message");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.getByRole("dialog").count()).toBe(0);
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "Northwind help" }).waitFor();
    expect(await transcript(page)).toEqual(["Hi! Ask us about sizing, shipping or returns."]);
    await page.screenshot({ path: `${ARTIFACTS}/widget-open.png` });

    // The page's CSS stays out of the shadow root; the theme's colour is applied.
    const look = await page.evaluate(HEADER_LOOK);
    expect(look).toEqual({
      bg: "rgb(15, 118, 110)",
      font: expect.stringContaining("system-ui"),
      size: "16px",
    });

    await box.fill("Do you ship to Norway?");
    await page.keyboard.press("Enter");
    const replies = await repliesShown(page);
    expect(await transcript(page)).toEqual([
      "Hi! Ask us about sizing, shipping or returns.",
      "Do you ship to Norway?",
      ...replies,
    ]);
    await expect.poll(() => page.locator(".typing").count(), { timeout: 15_000 }).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}/widget-conversation.png` });

    // Authored by the key, under the one name a visitor has.
    const posted = (await history(groupId)).filter((m) => m.type === "message.posted");
    expect(posted).toEqual([
      expect.objectContaining({
        content: "Do you ship to Norway?",
        author: { kind: "user", id: `widget:${keyId}`, name: "Visitor" },
      }),
    ]);

    // A reload resumes the same conversation from its first seq: the same lines, none twice.
    const before = await transcript(page);
    await page.reload();
    await page.getByRole("button", { name: "Open chat: Northwind help" }).click();
    await expect.poll(() => transcript(page), { timeout: 15_000 }).toEqual(before);

    // At phone width the open panel fills the screen.
    await page.setViewportSize({ width: 390, height: 760 });
    const panel = await page.getByRole("dialog").boundingBox();
    expect(panel).toMatchObject({ x: 0, y: 0, width: 390, height: 760 });
    await page.screenshot({ path: `${ARTIFACTS}/widget-phone.png` });
    expect(failures).toEqual([]);
    await context.close();
  });

  it("cannot post from a page on an origin its key does not list, and nothing is posted", async () => {
    const before = (await history(groupId)).length;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${elsewhereOrigin}/`);
    await page.getByRole("button", { name: "Open chat: Northwind help" }).click();
    await page.getByRole("textbox", { name: "Your message" }).fill("Let me in");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "could not be sent" }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/widget-refused.png` });
    // The browser read no answer either: the API gave this origin no CORS allowance.
    const read = await page.evaluate(
      async ({ url, key }) => {
        try {
          await fetch(url, { headers: { authorization: `Bearer ${key}` } });
          return "read";
        } catch {
          return "blocked";
        }
      },
      { url: `${sys.edgeUrl}/v1/groups/${groupId}/messages`, key: widgetKey },
    );
    expect(read).toBe("blocked");
    await context.close();
    await new Promise((r) => setTimeout(r, 500));
    expect((await history(groupId)).length).toBe(before);
  });
});

/** The agents' replies once both show, in the page's order (broadcast: whoever answered first). */
async function repliesShown(page: Page): Promise<string[]> {
  await page
    .locator(".msg.agent:not(.greeting):not(.typing):not(.streaming)")
    .nth(1)
    .waitFor({ timeout: 30_000 });
  const shown = (await transcript(page)).slice(2);
  expect([...shown].sort()).toEqual([REPLIES.Ada, REPLIES.Brook].sort());
  return shown;
}

describe("a widget key, over plain HTTP", () => {
  it("reads and posts its group's messages from its origin, with CORS for that origin only", async () => {
    const read = await asWidget("GET", `/v1/groups/${groupId}/messages`, shopOrigin);
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBe(shopOrigin);
    const posted = await asWidget("POST", `/v1/groups/${groupId}/messages`, shopOrigin, { content: "hello" });
    expect(posted.status).toBe(202);
    const sse = await events(groupId, shopOrigin);
    expect(sse).toEqual({ status: 200, allowOrigin: shopOrigin });

    // A preflight carries no key: it is answered for any origin, the request itself is not.
    for (const url of [
      `${sys.edgeUrl}/v1/groups/${groupId}/messages`,
      `${fanoutUrl}/v1/groups/${groupId}/events`,
    ]) {
      const pre = await fetch(url, {
        method: "OPTIONS",
        headers: {
          origin: elsewhereOrigin,
          "access-control-request-method": url.endsWith("events") ? "GET" : "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(pre.status, url).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(elsewhereOrigin);
      expect(pre.headers.get("access-control-allow-headers")).toContain("authorization");
    }
    const refused = await asWidget("POST", `/v1/groups/${groupId}/messages`, elsewhereOrigin, {
      content: "x",
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    // An account key from a page gets no widget CORS: that is CORS_ORIGINS' business.
    const plain = await sys.request("GET", `/v1/groups/${groupId}/messages`, {
      headers: { origin: shopOrigin },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("reaches nothing else: another group is not found, every other route forbidden, no Origin forbidden", async () => {
    const cases: [string, string, unknown, number][] = [
      ["GET", `/v1/groups/${otherGroupId}/messages`, undefined, 404],
      ["POST", `/v1/groups/${otherGroupId}/messages`, { content: "hi" }, 404],
      ["GET", `/v1/groups/${otherGroupId}`, undefined, 404],
      ["GET", "/v1/groups", undefined, 403],
      ["POST", "/v1/groups", { name: "mine now" }, 403],
      ["GET", `/v1/groups/${groupId}`, undefined, 403],
      ["GET", `/v1/groups/${groupId}/members`, undefined, 403],
      ["GET", `/v1/groups/${groupId}/widget-keys`, undefined, 403],
      ["POST", `/v1/groups/${groupId}/widget-keys`, { name: "k", origins: [shopOrigin] }, 403],
      ["DELETE", `/v1/groups/${groupId}`, undefined, 403],
      ["GET", `/v1/groups/${groupId}/export`, undefined, 403],
      ["POST", "/v1/agents", { name: "Mallory" }, 403],
      ["GET", "/v1/agents", undefined, 403],
      ["GET", "/v1/api-keys", undefined, 403],
      ["POST", "/v1/api-keys", { name: "k", scopes: ["read"] }, 403],
      ["GET", "/v1/me", undefined, 403],
      ["GET", "/v1/search?q=private", undefined, 403],
    ];
    for (const [method, path, body, want] of cases) {
      const res = await asWidget(method, path, shopOrigin, body);
      expect(res.status, `${method} ${path}`).toBe(want);
      expect(res.headers.get("content-type"), `${method} ${path}`).toMatch(/problem\+json/);
      expect(JSON.stringify(res.body)).not.toContain("private plans");
    }
    expect((await asWidget("GET", `/v1/groups/${groupId}/messages`, null)).status).toBe(403);
    expect((await asWidget("POST", `/v1/groups/${groupId}/messages`, null, { content: "x" })).status).toBe(
      403,
    );
    expect((await asWidget("POST", `/v1/groups/${groupId}/messages`, "null", { content: "x" })).status).toBe(
      403,
    );
    expect(await events(otherGroupId, shopOrigin)).toMatchObject({ status: 404, allowOrigin: null });
    expect(await events(groupId, null)).toMatchObject({ status: 403, allowOrigin: null });
    expect(await events(groupId, elsewhereOrigin)).toMatchObject({ status: 403, allowOrigin: null });
  });

  it("subscribes on the WebSocket to its own group only, and only from its origin", async () => {
    const client = await StreamClient.open(streamUrl, {
      headers: { authorization: `Bearer ${widgetKey}` },
    });
    for (const [id, code] of [
      [otherGroupId, "not_found"],
      [groupId, "forbidden"],
    ] as const) {
      client.send({ type: "subscribe", groupId: id, afterSeq: 0 });
      const answer = await client.waitFor(
        "an answer",
        (f) => (f.type === "subscribed" || f.type === "error") && f.groupId === id,
      );
      expect(answer, id).toMatchObject({ type: "error", code });
    }
    expect(client.events()).toHaveLength(0);
    await client.close();
  });

  it("follows a turn's token deltas before its replies on the SSE stream, with ?deltas=1", async () => {
    const ac = new AbortController();
    const res = await fetch(`${fanoutUrl}/v1/groups/${groupId}/events?deltas=1`, {
      headers: { authorization: `Bearer ${widgetKey}`, origin: shopOrigin },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const frames: { event: string; data: Record<string, unknown> }[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end).split("\n");
          buffer = buffer.slice(end + 2);
          const event = block.find((l) => l.startsWith("event: "))?.slice(7);
          const data = block.find((l) => l.startsWith("data: "))?.slice(6);
          if (event && data) frames.push({ event, data: JSON.parse(data) });
        }
      }
    })().catch(() => undefined);
    // The stream is live once the hub follows the group; a post then reaches it.
    await new Promise((r) => setTimeout(r, 300));
    const posted = await asWidget("POST", `/v1/groups/${groupId}/messages`, shopOrigin, {
      content: "Sizes?",
    });
    const turnId = posted.body.turnId as string;
    await waitUntil(
      "the turn's end",
      async () =>
        frames.some(
          (f) => f.event === "turn.completed" && (f.data.event as { turnId: string }).turnId === turnId,
        ),
      30_000,
    );
    ac.abort();
    await reading;
    const mine = frames.filter(
      (f) => (f.event === "delta" ? f.data.turnId : (f.data.event as { turnId: string }).turnId) === turnId,
    );
    for (const [name, reply] of Object.entries(REPLIES)) {
      const repliedAt = mine.findIndex(
        (f) =>
          f.event === "agent.replied" &&
          (f.data.event as { payload: { agentName: string } }).payload.agentName === name,
      );
      expect(repliedAt, name).toBeGreaterThan(0);
      const agentId = (mine[repliedAt]?.data.event as { payload: { agentId: string } } | undefined)?.payload
        .agentId;
      const streamed = mine
        .slice(0, repliedAt)
        .filter((f) => f.event === "delta" && f.data.agentId === agentId);
      expect(streamed.length, name).toBeGreaterThan(1);
      expect(streamed.map((f) => f.data.text).join(""), name).toBe(reply);
    }
  });

  it("is limited per key, and its page can read the 429", async () => {
    const limited = await sys.post(`/v1/groups/${groupId}/widget-keys`, {
      name: "limited",
      origins: [shopOrigin],
      rateLimitPerMinute: 2,
    });
    const key = limited.body.key as string;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestSystem["request"]>> | undefined;
    for (let i = 0; i < 3; i++) {
      last = await sys.request("GET", `/v1/groups/${groupId}/messages`, {
        token: key,
        headers: { origin: shopOrigin },
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(last?.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(last?.headers.get("access-control-allow-origin")).toBe(shopOrigin);
    // Another key's bucket is its own.
    expect((await asWidget("GET", `/v1/groups/${groupId}/messages`, shopOrigin)).status).toBe(200);
  });

  it("stops working once revoked", async () => {
    const spare = await sys.post(`/v1/groups/${groupId}/widget-keys`, {
      name: "spare",
      origins: [shopOrigin],
    });
    const key = spare.body.key as string;
    const id = spare.body.id as string;
    const ok = await sys.request("GET", `/v1/groups/${groupId}/messages`, {
      token: key,
      headers: { origin: shopOrigin },
    });
    expect(ok.status).toBe(200);
    expect(
      (await sys.request("DELETE", `/v1/groups/${groupId}/widget-keys/${id}`, { token: viewer.accessToken }))
        .status,
    ).toBe(403);
    expect((await sys.request("DELETE", `/v1/api-keys/${id}`)).status).toBe(404);
    expect((await sys.request("DELETE", `/v1/groups/${groupId}/widget-keys/${id}`)).status).toBe(204);
    await waitUntil("the revoked key to be refused", async () => {
      const res = await sys.request("GET", `/v1/groups/${groupId}/messages`, {
        token: key,
        headers: { origin: shopOrigin },
      });
      return res.status === 401;
    });
    expect((await events(groupId, shopOrigin, key)).status).toBe(401);
  });
});
