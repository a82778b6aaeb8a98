import type { Server } from "node:http";
import type { Socket } from "node:net";
import { createApiKey, hashPassword } from "@conclave/auth";
import { groupFeeds, jetstream, jetstreamManager, publishEnvelope } from "@conclave/bus";
import { accounts, type DbHandle, groupMembers, groups, openDb } from "@conclave/db";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import {
  capturingLogger,
  openProvisionedBus,
  quietLogger,
  StreamClient,
  type TestBus,
  waitUntil,
} from "@conclave/testing";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFanout, type Fanout, type FanoutLimits, loadConfig } from "./app.js";
import { createGroupHubs, type EventFrame, type GroupHubs, type HubSubscriber } from "./group-hub.js";

let bus: TestBus;
let db: DbHandle;
let key = "";
let accountId = "";
const logged = capturingLogger("fanout", "warn");
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  bus = await openProvisionedBus();
  db = await openDb({});
  await db.migrate();
  accountId = newEventId();
  await db.db.insert(accounts).values({
    id: accountId,
    email: "hub@example.com",
    passwordHash: await hashPassword("a long enough password"),
  });
  key = (await createApiKey(db.db, { accountId, name: "t", scopes: ["read"] })).key;
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await db?.close();
  await bus?.dispose();
});

async function newGroup() {
  const id = newEventId();
  await db.db.insert(groups).values({ id, name: "g" });
  await db.db.insert(groupMembers).values({ groupId: id, accountId, role: "viewer" });
  return id;
}

const publish = async (groupId: string, content: string) => {
  const id = newEventId();
  const event = makeEnvelope({
    id,
    type: "message.posted",
    groupId,
    turnId: newEventId(),
    causationId: null,
    actor: { kind: "user", id: "t" },
    payload: { messageId: id, content },
  });
  return (await publishEnvelope(jetstream(bus.nc), bus.names, event)).seq;
};
const publishMany = async (groupId: string, n: number, content = "e") => {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) seqs.push(await publish(groupId, `${content} ${i}`));
  return seqs;
};

/** The JetStream consumers following this group on the conv stream, as the server lists them. */
async function consumersOf(groupId: string): Promise<number> {
  const jsm = await jetstreamManager(bus.nc);
  let n = 0;
  for await (const ci of jsm.consumers.list(bus.names.stream("conv")))
    if (ci.config.filter_subject === bus.names.groupFilter(groupId)) n++;
  return n;
}

/** A hub subscriber that records what it is given. */
class Recorder implements HubSubscriber {
  readonly frames: EventFrame[] = [];
  readonly deltas: Buffer[] = [];
  error: unknown;
  gate: Promise<void> | undefined;
  event(frame: EventFrame) {
    this.frames.push(frame);
  }
  delta(frame: Buffer) {
    this.deltas.push(frame);
  }
  paced() {
    return this.gate;
  }
  failed(err: unknown) {
    this.error = err;
  }
  get seqs() {
    return this.frames.map((f) => f.seq);
  }
}

const hubsWith = (limits: { recentFrames?: number } = {}): GroupHubs => {
  const hubs = createGroupHubs({
    feeds: groupFeeds(bus.nc, bus.names, { pullExpiresMs: 2000 }),
    nc: bus.nc,
    names: bus.names,
    log: quietLogger(),
    limits,
  });
  stops.push(async () => hubs.close());
  return hubs;
};

async function follow(hubs: GroupHubs, groupId: string, afterSeq?: number) {
  const r = new Recorder();
  const sub = await hubs.subscribe(groupId, afterSeq, r, quietLogger());
  sub.start();
  return { r, sub };
}

describe("a group's hub", () => {
  it("feeds every subscriber from one consumer, the same bytes to each, and closes it after the last leaves", async () => {
    const hubs = hubsWith();
    const groupId = await newGroup();
    const subs = await Promise.all(Array.from({ length: 50 }, () => follow(hubs, groupId)));
    expect(await consumersOf(groupId)).toBe(1);
    const seqs = await publishMany(groupId, 5);
    await waitUntil("every subscriber has all five", () => subs.every((s) => s.r.frames.length === 5));
    for (const s of subs) expect(s.r.seqs).toEqual(seqs);
    // One serialization per event: every subscriber holds the very same frame.
    for (const [i] of seqs.entries()) expect(new Set(subs.map((s) => s.r.frames[i])).size).toBe(1);
    expect(JSON.parse(subs[0]?.r.frames[0]?.bytes.toString("utf8") ?? "{}")).toMatchObject({
      type: "event",
      groupId,
      seq: seqs[0],
      event: { type: "message.posted", payload: { content: "e 0" } },
    });
    // Token deltas: one subscription, one frame for all.
    const delta = {
      groupId,
      turnId: null,
      agentId: newEventId(),
      workId: newEventId(),
      index: 0,
      text: "hi",
    };
    bus.nc.publish(bus.names.deltaSubject(groupId), JSON.stringify(delta));
    await waitUntil("every subscriber has the delta", () => subs.every((s) => s.r.deltas.length === 1));
    expect(new Set(subs.map((s) => s.r.deltas[0])).size).toBe(1);
    expect(JSON.parse(subs[0]?.r.deltas[0]?.toString("utf8") ?? "{}")).toEqual({ type: "delta", ...delta });

    for (const s of subs.slice(1)) s.sub.stop();
    expect(await consumersOf(groupId)).toBe(1);
    subs[0]?.sub.stop();
    await waitUntil("the consumer deleted", async () => (await consumersOf(groupId)) === 0, 10_000);
  });

  it("gives a subscriber resuming within its recent frames the rest from memory, and one resuming ahead of it only what follows", async () => {
    const hubs = hubsWith({ recentFrames: 8 });
    const groupId = await newGroup();
    const live = await follow(hubs, groupId);
    const seqs = await publishMany(groupId, 6);
    await waitUntil("the hub has read them", () => live.r.frames.length === 6);
    const resumed = await follow(hubs, groupId, seqs[1]);
    // Handed over at start, from memory: no consumer of its own.
    expect(resumed.r.seqs).toEqual(seqs.slice(2));
    expect(await consumersOf(groupId)).toBe(1);
    const last = seqs.at(-1) ?? 0;
    const ahead = await follow(hubs, groupId, last + 2);
    const more = await publishMany(groupId, 3);
    expect(more[0]).toBe(last + 1);
    await waitUntil("the live tail", () => resumed.r.frames.length === 7 && ahead.r.frames.length === 1);
    expect(resumed.r.seqs).toEqual([...seqs.slice(2), ...more]);
    expect(ahead.r.seqs).toEqual(more.slice(2));
    for (const s of [live, resumed, ahead]) s.sub.stop();
  });

  it("catches up a subscriber from before its recent frames on a feed of its own while events keep coming, then joins live: every seq once, in order", async () => {
    const hubs = hubsWith({ recentFrames: 4 });
    const groupId = await newGroup();
    const live = await follow(hubs, groupId);
    const early = await publishMany(groupId, 20, "early");
    await waitUntil("the hub has read them", () => live.r.frames.length === 20);
    const late = await follow(hubs, groupId, early[2]);
    const during = await publishMany(groupId, 20, "during");
    const all = [...early, ...during];
    await waitUntil("the late one has everything", () => late.r.frames.length >= all.length - 3, 15_000);
    const after = await publishMany(groupId, 3, "after");
    await waitUntil("the live tail", () => late.r.frames.length === all.length - 3 + 3, 15_000);
    expect(late.r.seqs).toEqual([...all.slice(3), ...after]);
    expect(live.r.seqs).toEqual([...all, ...after]);
    expect(late.r.error).toBeUndefined();
    // Its own feed is gone once it joined the hub.
    await waitUntil("one consumer again", async () => (await consumersOf(groupId)) === 1, 10_000);
    for (const s of [live, late]) s.sub.stop();
  });

  it("sends a catch-up the hub outran round again from where it got to", async () => {
    const hubs = hubsWith({ recentFrames: 2 });
    const groupId = await newGroup();
    const live = await follow(hubs, groupId);
    const early = await publishMany(groupId, 5, "early");
    await waitUntil("the hub has read them", () => live.r.frames.length === 5);
    // The late subscriber writes slowly: its catch-up waits after every event until let go.
    const late = new Recorder();
    let letGo = () => {};
    late.gate = new Promise<void>((r) => {
      letGo = r;
    });
    const sub = await hubs.subscribe(groupId, 0, late, quietLogger());
    sub.start();
    await waitUntil("the catch-up started", () => late.frames.length === 1);
    const meanwhile = await publishMany(groupId, 10, "meanwhile");
    await waitUntil("the hub moved on", () => live.r.frames.length === 15);
    late.gate = undefined;
    letGo();
    const all = [...early, ...meanwhile];
    await waitUntil("the late one has everything", () => late.frames.length === all.length, 15_000);
    const after = await publishMany(groupId, 2, "after");
    await waitUntil("the live tail", () => late.frames.length === all.length + 2, 15_000);
    expect(late.seqs).toEqual([...all, ...after]);
    expect(live.r.seqs).toEqual([...all, ...after]);
    await waitUntil("one consumer again", async () => (await consumersOf(groupId)) === 1, 10_000);
    sub.stop();
    live.sub.stop();
    await waitUntil("no consumer", async () => (await consumersOf(groupId)) === 0, 10_000);
  });
});

// ---------------------------------------------------------------------------------------------

/** A fanout on its own port, with `env` and memory limits over the defaults. */
async function startFanout(env: Record<string, string>, limits: Partial<FanoutLimits> = {}) {
  const config = loadConfig({ CONCLAVE_NS: bus.names.ns, FANOUT_PULL_EXPIRES_MS: "2000", ...env });
  const fanout: Fanout = await createFanout({ config, nc: bus.nc, db, log: logged.log, limits });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: fanout.app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(s as Server),
    ) as Server;
  });
  fanout.attach(server);
  const addr = server.address();
  const base = `127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  stops.push(async () => {
    await fanout.stop();
    await new Promise((r) => server.close(r));
  });
  return {
    ws: `ws://${base}/v1/stream`,
    sse: (groupId: string) => `http://${base}/v1/groups/${groupId}/events`,
  };
}

const socket = (url: string) => StreamClient.open(url, { headers: { authorization: `Bearer ${key}` } });
const seqsOf = (c: StreamClient, groupId: string) => c.events(groupId).map((f) => f.seq);

/** An SSE stream's event ids, read as they come; `pause()` stops reading (the server's writes back up). */
function sseReader(url: string, afterSeq: number) {
  const ids: number[] = [];
  const abort = new AbortController();
  let paused = false;
  let resume = () => {};
  const done = (async () => {
    const res = await fetch(`${url}?afterSeq=${afterSeq}`, {
      headers: { authorization: `Bearer ${key}` },
      signal: abort.signal,
    });
    const reader = res.body?.getReader();
    let buffer = "";
    for (;;) {
      if (paused) await new Promise<void>((r) => (resume = r));
      const chunk = await reader?.read();
      if (!chunk || chunk.done) return;
      buffer += new TextDecoder().decode(chunk.value);
      for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
        const id = buffer
          .slice(0, cut)
          .split("\n")
          .find((l) => l.startsWith("id: "));
        buffer = buffer.slice(cut + 2);
        if (id) ids.push(Number(id.slice(4)));
      }
    }
  })().catch(() => undefined);
  return {
    ids,
    pause: () => (paused = true),
    resume: () => {
      paused = false;
      resume();
    },
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

describe("the fanout's sockets and SSE streams on one hub", () => {
  it("share one JetStream consumer per group however many follow it", async () => {
    const f = await startFanout({});
    const groupId = await newGroup();
    const other = await newGroup();
    const clients = await Promise.all(Array.from({ length: 12 }, () => socket(f.ws)));
    for (const [i, c] of clients.entries()) await c.subscribe(i % 3 === 0 ? other : groupId);
    const sse = [sseReader(f.sse(groupId), 0), sseReader(f.sse(groupId), 0)];
    const seqs = await publishMany(groupId, 4);
    await publish(other, "elsewhere");
    const followers = clients.filter((_, i) => i % 3 !== 0);
    await waitUntil("every socket has all four", () =>
      followers.every((c) => seqsOf(c, groupId).length === 4),
    );
    await waitUntil("both SSE streams have all four", () => sse.every((s) => s.ids.length === 4));
    for (const c of followers) expect(seqsOf(c, groupId)).toEqual(seqs);
    for (const s of sse) expect(s.ids).toEqual(seqs);
    // The SSE streams resumed from 0 caught up on feeds of their own; then one consumer per group.
    await waitUntil("one consumer per group", async () => (await consumersOf(groupId)) === 1, 10_000);
    expect(await consumersOf(other)).toBe(1);

    for (const s of sse) await s.stop();
    await Promise.all(clients.map((c) => c.close()));
    await waitUntil(
      "the consumers deleted with their last subscriber",
      async () => (await consumersOf(groupId)) + (await consumersOf(other)) === 0,
      10_000,
    );
  });

  it("gives a socket resuming from an old seq while the hub is live everything once, in order, then the live tail", async () => {
    const f = await startFanout({}, { recentFrames: 4 });
    const groupId = await newGroup();
    const live = await socket(f.ws);
    await live.subscribe(groupId);
    const early = await publishMany(groupId, 30, "early");
    await waitUntil("the live socket has them", () => seqsOf(live, groupId).length === 30);
    const late = await socket(f.ws);
    await late.subscribe(groupId, early[4]);
    const during = await publishMany(groupId, 15, "during");
    const resumedSse = sseReader(f.sse(groupId), early[9] ?? 0);
    const after = await publishMany(groupId, 5, "after");
    const all = [...early, ...during, ...after];
    await waitUntil(
      "the late socket has the tail",
      () => seqsOf(late, groupId).includes(all.at(-1) ?? -1),
      15_000,
    );
    await waitUntil("the SSE stream has the tail", () => resumedSse.ids.includes(all.at(-1) ?? -1), 15_000);
    expect(seqsOf(late, groupId)).toEqual(all.slice(5));
    expect(resumedSse.ids).toEqual(all.slice(10));
    expect(seqsOf(live, groupId)).toEqual(all);
    expect(late.frames.some((fr) => fr.type === "error")).toBe(false);
    await waitUntil("one consumer again", async () => (await consumersOf(groupId)) === 1, 10_000);
    await resumedSse.stop();
    await live.close();
    await late.close();
  });

  it("does not hold the others back for a socket that does not read", async () => {
    const f = await startFanout({ WS_HEARTBEAT_MS: "120000" });
    const groupId = await newGroup();
    const fast = await Promise.all(Array.from({ length: 3 }, () => socket(f.ws)));
    for (const c of fast) await c.subscribe(groupId);
    const slow = await socket(f.ws);
    await slow.subscribe(groupId);
    const paused = (slow.ws as unknown as { _socket: Socket })._socket;
    paused.pause();
    const seqs = await publishMany(groupId, 20, "x".repeat(2000));
    await waitUntil("every reading socket has all", () =>
      fast.every((c) => seqsOf(c, groupId).length === 20),
    );
    // The slow one has read nothing yet: the others did not wait for it.
    expect(seqsOf(slow, groupId)).toEqual([]);
    paused.resume();
    await waitUntil("the slow one catches up", () => seqsOf(slow, groupId).length === 20);
    for (const c of [...fast, slow]) expect(seqsOf(c, groupId)).toEqual(seqs);
    expect(slow.closed).toBeUndefined();
    for (const c of [...fast, slow]) await c.close();
  });

  it("lets an SSE reader that falls behind catch up on its own and go on, with no gap and no duplicate", async () => {
    const f = await startFanout({}, { sseQueuedFrames: 4, recentFrames: 4 });
    const groupId = await newGroup();
    const ws = await socket(f.ws);
    await ws.subscribe(groupId);
    const reader = sseReader(f.sse(groupId), 0);
    const first = await publish(groupId, "first");
    await waitUntil("the stream is open", () => reader.ids.length === 1);
    reader.pause();
    // Several MB: more than the socket buffers hold, so the fanout's writes back up.
    const from = logged.lines.length;
    const big = "x".repeat(30_000);
    const seqs = [first];
    for (
      let batch = 0;
      batch < 48 && !logged.lines.slice(from).some((l) => l.includes("slow SSE reader"));
      batch++
    )
      seqs.push(...(await Promise.all(Array.from({ length: 50 }, () => publish(groupId, big)))));
    seqs.sort((a, b) => a - b);
    await waitUntil("the reader left the live tail", () =>
      logged.lines.slice(from).some((l) => l.includes("slow SSE reader")),
    );
    await waitUntil("the socket has all", () => seqsOf(ws, groupId).length === seqs.length, 30_000);
    reader.resume();
    const last = await publish(groupId, "last");
    seqs.push(last);
    await waitUntil("the reader has all", () => reader.ids.includes(last), 30_000);
    expect(reader.ids).toEqual(seqs);
    expect(seqsOf(ws, groupId)).toEqual(seqs);
    await reader.stop();
    await ws.close();
  }, 60_000);
});
