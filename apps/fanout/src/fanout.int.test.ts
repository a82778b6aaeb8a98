import type { Server } from "node:http";
import type { Socket } from "node:net";
import { createApiKey, hashPassword } from "@conclave/auth";
import { jetstream, provision, publishEnvelope } from "@conclave/bus";
import { accounts, type DbHandle, groupMembers, groups, openDb } from "@conclave/db";
import { type AppMetrics, createAppMetrics } from "@conclave/metrics";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import {
  capturingLogger,
  openTestBus,
  StreamClient,
  type TestBus,
  upgradeStatus,
  waitUntil,
} from "@conclave/testing";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { createFanout, type Fanout, loadConfig } from "./app.js";

let bus: TestBus;
let db: DbHandle;
let fanout: Fanout;
let server: Server;
let url = "";
let key = "";
let otherKey = "";
let accountId = "";
const logged = capturingLogger("fanout", "warn");

async function account(email: string) {
  const id = newEventId();
  await db.db
    .insert(accounts)
    .values({ id, email, passwordHash: await hashPassword("a long enough password") });
  return id;
}

/** A group the main test account belongs to. */
async function newGroup() {
  const id = newEventId();
  await db.db.insert(groups).values({ id, name: "g" });
  await db.db.insert(groupMembers).values({ groupId: id, accountId, role: "viewer" });
  return id;
}

const open = (opts: WebSocket.ClientOptions = {}) =>
  StreamClient.open(url, { headers: { authorization: `Bearer ${key}` }, ...opts });

/** A fanout on its own port, with `env` over the defaults. */
async function startFanout(env: Record<string, string>, metrics?: AppMetrics) {
  const config = loadConfig({ CONCLAVE_NS: bus.names.ns, ...env });
  const f = await createFanout({ config, nc: bus.nc, db, log: logged.log, metrics });
  const s = await new Promise<Server>((resolve) => {
    const srv = serve({ fetch: f.app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(srv as Server),
    ) as Server;
  });
  f.attach(s);
  const addr = s.address();
  return {
    fanout: f,
    server: s,
    url: `ws://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/v1/stream`,
  };
}

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names);
  db = await openDb({});
  await db.migrate();
  accountId = await account("fan@example.com");
  key = (await createApiKey(db.db, { accountId, name: "t", scopes: ["read"] })).key;
  otherKey = (
    await createApiKey(db.db, { accountId: await account("other@example.com"), name: "t", scopes: ["read"] })
  ).key;
  ({ fanout, server, url } = await startFanout({
    WS_HEARTBEAT_MS: "200",
    WS_MAX_BUFFERED_BYTES: "65536",
    WS_AUTH_TIMEOUT_MS: "300",
    CORS_ORIGINS: "https://app.example.com",
  }));
});
afterAll(async () => {
  await fanout?.stop();
  await new Promise((r) => server?.close(r));
  await db?.close();
  await bus?.dispose();
});

const publishPosted = (groupId: string, content: string) => {
  const id = newEventId();
  return publishEnvelope(
    jetstream(bus.nc),
    bus.names,
    makeEnvelope({
      id,
      type: "message.posted",
      groupId,
      turnId: newEventId(),
      causationId: null,
      actor: { kind: "user", id: "t" },
      payload: { messageId: id, content },
    }),
  );
};

describe("fanout WebSocket: access", () => {
  it("refuses a bad credential and a foreign browser origin at the upgrade", async () => {
    expect(await upgradeStatus(url, { authorization: "Bearer nope" })).toBe(401);
    expect(
      await upgradeStatus(url, { authorization: `Bearer ${key}`, origin: "https://evil.example.net" }),
    ).toBe(403);
    expect(
      await upgradeStatus(url, { authorization: `Bearer ${key}`, origin: "https://app.example.com" }),
    ).toBe(101);
  });

  it("closes a socket that never authenticates with 4401", async () => {
    const c = await StreamClient.open(url);
    c.send({ type: "subscribe", groupId: await newGroup(), afterSeq: 0 });
    await c.waitFor("refusal", (f) => f.type === "error" && f.code === "unauthorized");
    await waitUntil("the close", () => c.closed, 5000);
    expect(c.closed?.code).toBe(4401);
  });

  it("accepts the credential in the first frame, as browsers must", async () => {
    const c = await StreamClient.open(url);
    c.send({ type: "auth", token: key });
    await c.waitFor("authenticated", (f) => f.type === "authenticated");
    await c.subscribe(await newGroup(), 0);
    await new Promise((r) => setTimeout(r, 400));
    expect(c.closed).toBeUndefined();
    await c.close();
  });

  it("answers a subscription to someone else's group as if it did not exist", async () => {
    const mine = await newGroup();
    await publishPosted(mine, "secret");
    const c = await StreamClient.open(url, { headers: { authorization: `Bearer ${otherKey}` } });
    c.send({ type: "subscribe", groupId: mine, afterSeq: 0 });
    const err = await c.waitFor("refusal", (f) => f.type === "error");
    expect(err).toMatchObject({ code: "not_found", groupId: mine });
    await new Promise((r) => setTimeout(r, 200));
    expect(c.events()).toHaveLength(0);
    await c.close();
  });
});

describe("fanout WebSocket: delivery", () => {
  it("sends heartbeats and answers pings", async () => {
    const c = await open();
    await c.waitFor("welcome", (f) => f.type === "welcome");
    await c.waitFor("a heartbeat", (f) => f.type === "heartbeat", 2000);
    c.send({ type: "ping" });
    await c.waitFor("pong", (f) => f.type === "pong");
    await c.close();
  });

  it("rejects invalid frames naming the field, and keeps the socket", async () => {
    const c = await open();
    c.send({ type: "subscribe", groupId: "prod.conv.*" });
    const err = await c.waitFor("an error", (f) => f.type === "error");
    expect(err).toMatchObject({ code: "invalid_frame", errors: [{ path: "groupId" }] });
    c.ws.send("not json");
    await c.waitFor("a second error", () => c.frames.filter((f) => f.type === "error").length === 2);
    await c.subscribe(await newGroup(), 0);
    await c.close();
  });

  it("replays from afterSeq, then follows the live tail", async () => {
    const groupId = await newGroup();
    const first = await publishPosted(groupId, "one");
    await publishPosted(groupId, "two");
    const c = await open();
    await c.subscribe(groupId, first.seq);
    await publishPosted(groupId, "three");
    await c.waitFor("three", (f) => f.event?.payload.content === "three");
    expect(c.events(groupId).map((f) => f.event?.payload.content)).toEqual(["two", "three"]);
    await c.close();
  });

  it("closes a client that does not read with 4008 instead of buffering without bound", async () => {
    // A heartbeat slower than the flood: a paused client never answers pings, and a 200 ms
    // heartbeat would end it (1006) before its buffer fills on a busy machine.
    const metrics = createAppMetrics("fanout", { defaults: false });
    const slow = await startFanout({ WS_HEARTBEAT_MS: "120000", WS_MAX_BUFFERED_BYTES: "65536" }, metrics);
    const groupId = await newGroup();
    const c = await StreamClient.open(slow.url, { headers: { authorization: `Bearer ${key}` } });
    await c.subscribe(groupId, 0);
    expect((await metrics.render()).body).toMatch(
      /conclave_fanout_connections\{transport="ws",app="fanout"\} 1/,
    );
    // Stop reading: the kernel buffers fill, then the server's queue for this socket grows.
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    // More than loopback's autotuned socket buffers can hold (up to 32 MiB received + 4 MiB sent).
    const big = "x".repeat(30_000);
    for (let batch = 0; batch < 48; batch++)
      await Promise.all(Array.from({ length: 50 }, () => publishPosted(groupId, big)));
    await waitUntil(
      "the server to cut the socket",
      () => logged.lines.some((l) => l.includes("slow consumer")),
      20_000,
    );
    socket.resume();
    await waitUntil("the socket to be closed", () => c.closed, 20_000);
    expect(c.closed?.code).toBe(4008);
    expect(c.closed?.reason).toMatch(/slow consumer/);
    expect(c.events(groupId).length).toBeLessThan(2400);
    const after = (await metrics.render()).body;
    expect(after).toMatch(/conclave_fanout_slow_clients_total\{transport="ws",app="fanout"\} 1/);
    expect(after).toMatch(/conclave_fanout_connections\{transport="ws",app="fanout"\} 0/);
    await slow.fanout.stop();
    await new Promise((r) => slow.server.close(r));
  });
});

/** Reads SSE frames from a fetch response until `until` says stop. */
async function readSse(
  res: globalThis.Response,
  until: (events: { id?: string; event?: string; data?: string }[]) => boolean,
) {
  const events: { id?: string; event?: string; data?: string }[] = [];
  const reader = res.body?.getReader();
  if (!reader) throw new Error("no body");
  let buffer = "";
  const deadline = Date.now() + 10_000;
  while (!until(events) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += new TextDecoder().decode(value);
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const e: { id?: string; event?: string; data?: string } = {};
      for (const line of block.split("\n")) {
        const m = line.match(/^(id|event|data): ?(.*)$/);
        if (m?.[1] === "id" || m?.[1] === "event" || m?.[1] === "data") e[m[1]] = m[2];
      }
      if (e.data !== undefined || e.event !== undefined) events.push(e);
      cut = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return events;
}

describe("fanout SSE", () => {
  const sseUrl = (groupId: string) =>
    url.replace("ws://", "http://").replace("/v1/stream", `/v1/groups/${groupId}/events`);

  it("refuses no credential with 401 and a non-member with 404, as problem+json", async () => {
    const groupId = await newGroup();
    const none = await fetch(sseUrl(groupId));
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toMatch(/problem\+json/);
    const other = await fetch(sseUrl(groupId), { headers: { authorization: `Bearer ${otherKey}` } });
    expect(other.status).toBe(404);
    const bad = await fetch(sseUrl("not-a-uuid"), { headers: { authorization: `Bearer ${key}` } });
    expect(bad.status).toBe(400);
  });

  it("streams events with their seq as id, and resumes after Last-Event-ID with no gap and no duplicate", async () => {
    const groupId = await newGroup();
    const seqs = [];
    for (const word of ["one", "two", "three"]) seqs.push((await publishPosted(groupId, word)).seq);
    const all = await readSse(
      await fetch(`${sseUrl(groupId)}?afterSeq=0`, { headers: { authorization: `Bearer ${key}` } }),
      (e) => e.length >= 3,
    );
    expect(all.map((e) => Number(e.id))).toEqual(seqs);
    expect(all.every((e) => e.event === "message.posted")).toBe(true);
    const resumed = await readSse(
      await fetch(sseUrl(groupId), {
        headers: { authorization: `Bearer ${key}`, "last-event-id": String(seqs[0]) },
      }),
      (e) => e.length >= 2,
    );
    expect(resumed.map((e) => JSON.parse(e.data ?? "{}").event.payload.content)).toEqual(["two", "three"]);
  });
});
