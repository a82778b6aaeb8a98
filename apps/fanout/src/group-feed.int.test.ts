import type { Server } from "node:http";
import { createApiKey, hashPassword } from "@conclave/auth";
import { groupFeeds, jetstream, publishEnvelope } from "@conclave/bus";
import { accounts, type DbHandle, groupMembers, groups, openDb } from "@conclave/db";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import { openProvisionedBus, quietLogger, StreamClient, type TestBus, waitUntil } from "@conclave/testing";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFanout, type Fanout, loadConfig } from "./app.js";

const EXPIRES_MS = 2000;
let bus: TestBus;
let db: DbHandle;
let fanout: Fanout;
let server: Server;
let base = "";
let key = "";
let accountId = "";

beforeAll(async () => {
  bus = await openProvisionedBus();
  db = await openDb({});
  await db.migrate();
  accountId = newEventId();
  await db.db.insert(accounts).values({
    id: accountId,
    email: "feed@example.com",
    passwordHash: await hashPassword("a long enough password"),
  });
  key = (await createApiKey(db.db, { accountId, name: "t", scopes: ["read"] })).key;
  const config = loadConfig({ CONCLAVE_NS: bus.names.ns, FANOUT_PULL_EXPIRES_MS: String(EXPIRES_MS) });
  fanout = await createFanout({ config, nc: bus.nc, db, log: quietLogger() });
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: fanout.app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(s as Server),
    ) as Server;
  });
  fanout.attach(server);
  const addr = server.address();
  base = `127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
afterAll(async () => {
  await fanout?.stop();
  await new Promise((r) => server?.close(r));
  await db?.close();
  await bus?.dispose();
});

async function newGroup() {
  const id = newEventId();
  await db.db.insert(groups).values({ id, name: "g" });
  await db.db.insert(groupMembers).values({ groupId: id, accountId, role: "viewer" });
  return id;
}

const posted = (groupId: string, content: string) => {
  const id = newEventId();
  return makeEnvelope({
    id,
    type: "message.posted",
    groupId,
    turnId: newEventId(),
    causationId: null,
    actor: { kind: "user", id: "t" },
    payload: { messageId: id, content },
  });
};
const publishPosted = (groupId: string, content: string) =>
  publishEnvelope(jetstream(bus.nc), bus.names, posted(groupId, content));

const openSocket = () =>
  StreamClient.open(`ws://${base}/v1/stream`, { headers: { authorization: `Bearer ${key}` } });
const contents = (c: StreamClient, groupId: string) => c.events(groupId).map((f) => f.event?.payload.content);

/** SSE `data` payloads until `count` events arrived (or the time is up). */
async function sseContents(groupId: string, afterSeq: number, count: number) {
  const res = await fetch(`http://${base}/v1/groups/${groupId}/events?afterSeq=${afterSeq}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const reader = res.body?.getReader();
  if (!reader) throw new Error("no body");
  const out: string[] = [];
  let buffer = "";
  const deadline = Date.now() + 15_000;
  while (out.length < count && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += new TextDecoder().decode(value);
    for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
      const data = buffer
        .slice(0, cut)
        .split("\n")
        .find((l) => l.startsWith("data: "));
      buffer = buffer.slice(cut + 2);
      if (data) out.push(JSON.parse(data.slice(6)).event.payload.content);
    }
  }
  await reader.cancel();
  return out;
}

describe("a group's live feed", () => {
  it("skips a poison message and goes on, live and when resumed from before it", async () => {
    const groupId = await newGroup();
    const live = await openSocket();
    await live.subscribe(groupId, 0);
    const js = jetstream(bus.nc);
    await publishPosted(groupId, "one");
    await js.publish(bus.names.convSubject(groupId, "message.posted"), "not json {");
    await js.publish(
      bus.names.convSubject(groupId, "turn.completed"),
      JSON.stringify(posted(groupId, "wrong")),
    );
    await publishPosted(groupId, "two");
    await live.waitFor("two", (f) => f.event?.payload.content === "two");
    expect(contents(live, groupId)).toEqual(["one", "two"]);

    const resumed = await openSocket();
    await resumed.subscribe(groupId, 0);
    await publishPosted(groupId, "three");
    await resumed.waitFor("three", (f) => f.event?.payload.content === "three");
    expect(contents(resumed, groupId)).toEqual(["one", "two", "three"]);
    expect(await sseContents(groupId, 0, 3)).toEqual(["one", "two", "three"]);
    expect(live.closed).toBeUndefined();
    await live.close();
    await resumed.close();
  });

  it("reads only what is stored when opened to catch up, and says where a feed from now starts", async () => {
    const groupId = await newGroup();
    const open = groupFeeds(bus.nc, bus.names, { pullExpiresMs: EXPIRES_MS });
    const read = async (afterSeq: number) => {
      const feed = await open(groupId, afterSeq, quietLogger(), { untilCaughtUp: true });
      const seqs: number[] = [];
      for await (const { seq } of feed.events()) seqs.push(seq);
      return seqs;
    };
    const one = (await publishPosted(groupId, "one")).seq;
    const two = (await publishPosted(groupId, "two")).seq;
    // The last one stored is poison: the read still ends.
    const poison = (await jetstream(bus.nc).publish(bus.names.convSubject(groupId, "message.posted"), "{"))
      .seq;
    expect(await read(0)).toEqual([one, two]);
    expect(await read(one)).toEqual([two]);
    expect(await read(poison)).toEqual([]);
    const live = await open(groupId, undefined, quietLogger());
    expect(live.after).toBe(poison);
    live.close();
  });

  it("delivers promptly after idling past pull expiries, each event once and in order", async () => {
    const groupId = await newGroup();
    const feed = await groupFeeds(bus.nc, bus.names, { pullExpiresMs: EXPIRES_MS })(
      groupId,
      undefined,
      quietLogger(),
    );
    const got: { seq: number; at: number }[] = [];
    const reading = (async () => {
      for await (const { seq } of feed.events()) got.push({ seq, at: Date.now() });
    })();
    const sent: { seq: number; at: number }[] = [];
    // Idle across one or more expiries, landing at varied points of the pull's life, expiry included.
    for (const idle of [2600, 4000, 1990, 2010, 5000]) {
      await new Promise((r) => setTimeout(r, idle));
      const at = Date.now();
      sent.push({ seq: (await publishPosted(groupId, `after ${idle} ms`)).seq, at });
      const seq = sent.at(-1)?.seq;
      await waitUntil(`seq ${seq}`, () => got.some((g) => g.seq === seq), 10_000, 10);
    }
    feed.close();
    await reading;
    expect(got.map((g) => g.seq)).toEqual(sent.map((s) => s.seq));
    // Far below the two missed heartbeats (2 × expires/2) an idle pull used to wait; generous for a busy box.
    const lags = sent.map((s, i) => (got[i]?.at ?? Number.POSITIVE_INFINITY) - s.at);
    expect(Math.max(...lags)).toBeLessThan(1500);
  });
});
