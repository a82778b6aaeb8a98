import type { Server } from "node:http";
import { createApiKey, hashPassword } from "@conclave/auth";
import { jetstream, publishEnvelope } from "@conclave/bus";
import { accounts, and, type DbHandle, eq, groupMembers, groups, openDb } from "@conclave/db";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import {
  createTestDatabase,
  openProvisionedBus,
  quietLogger,
  StreamClient,
  type TestBus,
  waitUntil,
} from "@conclave/testing";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccessWatch } from "./access-watch.js";
import { createFanout, type Fanout, loadConfig } from "./app.js";

// The default re-check interval: what production runs, and within the promised 5 s.
const BOUND_MS = 5000;

let bus: TestBus;
let db: DbHandle;
let fanout: Fanout;
let server: Server;
let wsUrl = "";

interface Reader {
  accountId: string;
  key: string;
}

async function reader(): Promise<Reader> {
  const accountId = newEventId();
  await db.db.insert(accounts).values({
    id: accountId,
    email: `${accountId}@example.com`,
    passwordHash: await hashPassword("a long enough password"),
  });
  return { accountId, key: (await createApiKey(db.db, { accountId, name: "t", scopes: ["read"] })).key };
}

async function groupOf(...people: [Reader, "owner" | "member" | "viewer"][]) {
  const id = newEventId();
  await db.db.insert(groups).values({ id, name: "g" });
  for (const [who, role] of people)
    await db.db.insert(groupMembers).values({ groupId: id, accountId: who.accountId, role });
  return id;
}

/** What the edge's removal does to the membership table. */
const removeFrom = (groupId: string, who: Reader) =>
  db.db
    .delete(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, who.accountId)));

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

const contents = (c: StreamClient, groupId: string) => c.events(groupId).map((f) => f.event?.payload.content);

const openWs = (who: Reader) => StreamClient.open(wsUrl, { headers: { authorization: `Bearer ${who.key}` } });

beforeAll(async () => {
  bus = await openProvisionedBus();
  db = await openDb({});
  await db.migrate();
  fanout = await createFanout({
    config: loadConfig({ CONCLAVE_NS: bus.names.ns }),
    nc: bus.nc,
    db,
    log: quietLogger("fanout"),
  });
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: fanout.app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(s as Server),
    ) as Server;
  });
  fanout.attach(server);
  const addr = server.address();
  wsUrl = `ws://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/v1/stream`;
});
afterAll(async () => {
  await fanout?.stop();
  await new Promise((r) => server?.close(r));
  await db?.close();
  await bus?.dispose();
});

describe("a WebSocket subscription of a person removed from the group", () => {
  it("ends with not_found within the bound; other members and the person's other groups go on", async () => {
    const removed = await reader();
    const stays = await reader();
    const groupId = await groupOf([removed, "member"], [stays, "member"]);
    const elsewhere = await groupOf([removed, "viewer"]);
    const [gone, kept] = [await openWs(removed), await openWs(stays)];
    await gone.subscribe(groupId, 0);
    await gone.subscribe(elsewhere, 0);
    await kept.subscribe(groupId, 0);
    await publishPosted(groupId, "before");
    for (const c of [gone, kept]) await waitUntil("the first event", () => contents(c, groupId).length === 1);

    const removedAt = Date.now();
    await removeFrom(groupId, removed);
    const ended = await gone.waitFor(
      "the end of the subscription",
      (f) => f.type === "error" && f.groupId === groupId,
      BOUND_MS * 3,
    );
    expect(Date.now() - removedAt).toBeLessThanOrEqual(BOUND_MS);
    expect(ended).toMatchObject({ type: "error", code: "not_found", groupId });

    // A member made viewer still reads.
    await db.db
      .update(groupMembers)
      .set({ role: "viewer" })
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, stays.accountId)));
    await publishPosted(groupId, "after");
    await publishPosted(elsewhere, "still here");
    await waitUntil("the member's second event", () => contents(kept, groupId).length === 2);
    await waitUntil("the other group's event", () => contents(gone, elsewhere).length === 1);
    expect(contents(gone, groupId)).toEqual(["before"]);
    expect(gone.closed).toBeUndefined();
    // Well past another re-check, the viewer is still subscribed.
    await waitUntil("two more re-checks", () => Date.now() - removedAt > BOUND_MS, BOUND_MS * 3);
    await publishPosted(groupId, "later");
    await waitUntil("the viewer's third event", () => contents(kept, groupId).length === 3);
    expect(kept.frames.some((f) => f.type === "error")).toBe(false);
    await Promise.all([gone.close(), kept.close()]);
  });

  it("ends when the group is deleted", async () => {
    const member = await reader();
    const groupId = await groupOf([member, "owner"]);
    const c = await openWs(member);
    await c.subscribe(groupId, 0);
    await db.db.delete(groups).where(eq(groups.id, groupId));
    expect(
      await c.waitFor("the end", (f) => f.type === "error" && f.groupId === groupId, BOUND_MS * 3),
    ).toMatchObject({ code: "not_found" });
    await c.close();
  });
});

describe("an SSE stream of a person removed from the group", () => {
  it("gets an error event not_found within the bound, and the stream closes", async () => {
    const removed = await reader();
    const groupId = await groupOf([removed, "member"]);
    await publishPosted(groupId, "before");
    const httpUrl = wsUrl.replace("ws://", "http://").replace("/v1/stream", `/v1/groups/${groupId}/events`);
    const res = await fetch(`${httpUrl}?afterSeq=0`, { headers: { authorization: `Bearer ${removed.key}` } });
    expect(res.status).toBe(200);
    const body = res.body?.getReader();
    if (!body) throw new Error("no body");
    let text = "";
    const deadline = Date.now() + BOUND_MS * 3;
    const readUntil = async (done: () => boolean) => {
      while (!done() && Date.now() < deadline) {
        const chunk = await body.read();
        if (chunk.done) return true;
        text += new TextDecoder().decode(chunk.value);
      }
      return false;
    };
    await readUntil(() => text.includes("event: message.posted"));
    const removedAt = Date.now();
    await removeFrom(groupId, removed);
    // An unbounded wait for the end, were it not for the deadline: a stream that never closes fails here.
    const timer = setTimeout(() => void body.cancel(), BOUND_MS * 3);
    const closed = await readUntil(() => false);
    clearTimeout(timer);
    expect(closed).toBe(true);
    expect(Date.now() - removedAt).toBeLessThanOrEqual(BOUND_MS);
    expect(text).toMatch(/event: error\ndata: \{"code":"not_found"/);
  });
});

describe("createAccessWatch on PostgreSQL (the streams above run on PGlite)", () => {
  let pg: DbHandle;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    pg = await openDb({ url: database.url, poolSize: 2 });
  });
  afterAll(async () => {
    await pg?.close();
    await drop?.();
  });

  it("tells only the listeners of the pairs that left, once", async () => {
    const d = pg.db;
    const ids = { a: newEventId(), b: newEventId(), g: newEventId() };
    for (const id of [ids.a, ids.b])
      await d.insert(accounts).values({ id, email: `${id}@example.com`, passwordHash: "x" });
    await d.insert(groups).values({ id: ids.g, name: "g" });
    await d.insert(groupMembers).values([
      { groupId: ids.g, accountId: ids.a, role: "member" },
      { groupId: ids.g, accountId: ids.b, role: "viewer" },
    ]);
    const watch = createAccessWatch({ db: d, intervalMs: 100, log: quietLogger("fanout") });
    const lost: string[] = [];
    watch.watch(ids.a, ids.g, () => lost.push("a1"));
    watch.watch(ids.a, ids.g, () => lost.push("a2"));
    watch.watch(ids.b, ids.g, () => lost.push("b"));
    const unwatched = watch.watch(ids.b, ids.g, () => lost.push("b-unwatched"));
    unwatched();
    await d
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, ids.g), eq(groupMembers.accountId, ids.a)));
    await waitUntil("both listeners of a", () => lost.length >= 2, 10_000);
    expect(lost.sort()).toEqual(["a1", "a2"]);
    await d.delete(groupMembers).where(eq(groupMembers.groupId, ids.g));
    await waitUntil("b's listener", () => lost.length >= 3, 10_000);
    expect(lost.sort()).toEqual(["a1", "a2", "b"]);
    watch.stop();
  });
});
