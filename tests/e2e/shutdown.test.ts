import { jetstreamManager } from "@conclave/bus";
import {
  AppProcess,
  createTestDatabase,
  freePort,
  openProvisionedBus,
  StreamClient,
  type TestBus,
  type TestDatabase,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The apps' own drain deadline is 15 s (then they exit 1); each must be done well before.
const EXIT_WITHIN_MS = 12_000;
// No request may wait this long for an answer, during the drain or after it.
const ANSWER_WITHIN_MS = 10_000;

let bus: TestBus;
let db: TestDatabase;
let edgeUrl: string;
let token: string;
let groupId: string;
const apps: AppProcess[] = [];

const env = () => ({
  CONCLAVE_NS: bus.names.ns,
  NATS_URL: process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222",
  DATABASE_URL: db.url,
  LOG_LEVEL: "info",
});

async function spawn(app: "edge" | "fanout", port: number): Promise<AppProcess> {
  const p = new AppProcess(app, { ...env(), [app === "edge" ? "EDGE_PORT" : "FANOUT_PORT"]: String(port) });
  apps.push(p);
  await p.waitForLog(`${app} listening`);
  return p;
}

async function postJson(url: string, body: unknown, bearer?: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  [bus, db] = await Promise.all([openProvisionedBus(), createTestDatabase()]);
  const port = await freePort();
  edgeUrl = `http://127.0.0.1:${port}`;
  await spawn("edge", port);
  const registered = await postJson(`${edgeUrl}/v1/auth/register`, {
    email: `shutdown-${bus.names.ns}@example.com`,
    password: `correct horse battery ${bus.names.ns}`,
  });
  expect(registered.status).toBe(201);
  token = registered.body.accessToken as string;
  const group = await postJson(
    `${edgeUrl}/v1/groups`,
    { name: "shutdown", agents: [{ name: "Ada" }] },
    token,
  );
  expect(group.status).toBe(201);
  groupId = group.body.id as string;
});
afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop()));
  await bus?.dispose();
  await db?.drop();
});

/** An SSE client that keeps everything it reads until the server ends the stream. */
function openSse(url: string) {
  const read: { text: string; ended: boolean; error?: string } = { text: "", ended: false };
  const done = fetch(url, { headers: { authorization: `Bearer ${token}` } })
    .then(async (res) => {
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        read.text += decoder.decode(value, { stream: true });
      }
      read.ended = true;
    })
    .catch((e: unknown) => {
      read.error = String(e);
    });
  return { read, done };
}

describe("SIGTERM", () => {
  it("drains a fanout with SSE and WebSocket clients: a reconnect hint, 1001, exit 0", async () => {
    const port = await freePort();
    const fanout = await spawn("fanout", port);
    const sse = [1, 2].map(() => openSse(`http://127.0.0.1:${port}/v1/groups/${groupId}/events?afterSeq=0`));
    const ws = await StreamClient.open(`ws://127.0.0.1:${port}/v1/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await ws.subscribe(groupId);
    // Every client has the feed running: each sees a new message.
    const posted = await postJson(`${edgeUrl}/v1/groups/${groupId}/messages`, { content: "before" }, token);
    expect(posted.status).toBe(202);
    await waitUntil("the SSE clients to see the message", () =>
      sse.every((s) => s.read.text.includes("before")),
    );
    await ws.waitFor(
      "the WebSocket to see it",
      (f) => f.type === "event" && f.event?.id === posted.body.messageId,
    );

    const signalled = Date.now();
    fanout.kill("SIGTERM");
    expect(await fanout.waitForExit(EXIT_WITHIN_MS)).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(EXIT_WITHIN_MS);
    await Promise.all(sse.map((s) => s.done));
    for (const { read } of sse) {
      expect(read.error).toBeUndefined();
      expect(read.ended).toBe(true);
      expect(read.text).toMatch(/event: reconnect\ndata: \{"code":"going_away"\}\nretry: \d+\n\n/);
    }
    await waitUntil("the WebSocket to be closed", () => ws.closed);
    expect(ws.closed?.code).toBe(1001);
  });

  it("drains an edge under a stream of posts: refuses new ones, keeps every 202, exits 0", async () => {
    const port = await freePort();
    const draining = await spawn("edge", port);
    const url = `http://127.0.0.1:${port}/v1/groups/${groupId}/messages`;
    const accepted: { messageId: string; seq: number; startedAt: number }[] = [];
    const endings: string[] = [];
    const problems: string[] = [];
    let drainSeenAt = Number.POSITIVE_INFINITY;
    let n = 0;
    // Four keep-alive clients posting as fast as they are answered, each until it is refused.
    const worker = async () => {
      for (let i = 0; i < 2_000; i++) {
        const startedAt = Date.now();
        let status: number;
        let body: Record<string, unknown> = {};
        try {
          const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ content: `load ${++n}` }),
            signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
          });
          status = res.status;
          body = (await res.json()) as Record<string, unknown>;
        } catch (e) {
          const err = e as Error;
          // Refused, or a keep-alive connection the draining server closed: nothing was accepted.
          if (err.name === "TimeoutError") problems.push(`a post waited over ${ANSWER_WITHIN_MS} ms`);
          else endings.push("refused");
          return;
        }
        if (status === 202) {
          accepted.push({ messageId: body.messageId as string, seq: body.seq as number, startedAt });
          continue;
        }
        // Asked on a connection still open: try again, until the connection is refused.
        if (status === 503) continue;
        problems.push(`status ${status}: ${JSON.stringify(body)}`);
        return;
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    await waitUntil("posts to be accepted", () => accepted.length >= 20, 30_000);
    const signalled = Date.now();
    draining.kill("SIGTERM");
    await draining.waitForLog("stopping");
    drainSeenAt = Date.now();
    expect(await draining.waitForExit(EXIT_WITHIN_MS)).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(EXIT_WITHIN_MS);
    await Promise.all(workers);

    expect(problems).toEqual([]);
    // Nothing that started after the drain began was accepted, and every client ended refused.
    expect(accepted.filter((a) => a.startedAt > drainSeenAt)).toEqual([]);
    expect(endings).toEqual(["refused", "refused", "refused", "refused"]);
    // Every 202 is in the stream.
    const jsm = await jetstreamManager(bus.nc);
    for (const a of accepted) {
      const stored = await jsm.streams.getMessage(bus.names.stream("conv"), { seq: a.seq });
      expect(stored?.json<{ id: string }>().id).toBe(a.messageId);
    }
    // The other edge still serves: the drain was this process's own.
    expect(
      (await postJson(`${edgeUrl}/v1/groups/${groupId}/messages`, { content: "after" }, token)).status,
    ).toBe(202);
  });
});
