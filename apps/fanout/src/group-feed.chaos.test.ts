import type { Server } from "node:http";
import { createApiKey, hashPassword } from "@conclave/auth";
import { connectBus, jetstream, type NatsConnection, provision, publishEnvelope } from "@conclave/bus";
import { accounts, type DbHandle, groupMembers, groups, openDb } from "@conclave/db";
import { makeEnvelope, names as namesOf, newEventId } from "@conclave/subjects";
import {
  type OwnNatsServer,
  quietLogger,
  StreamClient,
  startOwnNatsServer,
  uniqueNamespace,
  waitUntil,
} from "@conclave/testing";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFanout, type Fanout, loadConfig } from "./app.js";

let nats: OwnNatsServer;
let fanoutNc: NatsConnection;
let testNc: NatsConnection;
let db: DbHandle;
let fanout: Fanout;
let server: Server;
let base = "";
let key = "";
const groupId = newEventId();
const names = namesOf(uniqueNamespace());

beforeAll(async () => {
  nats = await startOwnNatsServer();
  const log = quietLogger();
  fanoutNc = await connectBus({ url: nats.url, name: "fanout", log });
  testNc = await connectBus({ url: nats.url, name: "test", log });
  await provision(testNc, names);
  db = await openDb({});
  await db.migrate();
  const accountId = newEventId();
  await db.db.insert(accounts).values({
    id: accountId,
    email: "chaos@example.com",
    passwordHash: await hashPassword("a long enough password"),
  });
  key = (await createApiKey(db.db, { accountId, name: "t", scopes: ["read"] })).key;
  await db.db.insert(groups).values({ id: groupId, name: "g" });
  await db.db.insert(groupMembers).values({ groupId, accountId, role: "viewer" });
  fanout = await createFanout({ config: loadConfig({ CONCLAVE_NS: names.ns }), nc: fanoutNc, db, log });
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
  await fanoutNc?.close();
  await testNc?.close();
  await nats?.dispose();
});

/** Publishes one event, retrying while JetStream is not back yet. */
async function publish(content: string): Promise<number> {
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
  return waitUntil(
    `publish ${content}`,
    () => publishEnvelope(jetstream(testNc), names, event, { timeoutMs: 1000 }).then((p) => p.seq),
    30_000,
    100,
  );
}

/** Follows the group over SSE from the start, recording each event's seq and arrival. */
function followSse(): { seen: { seq: number; at: number }[]; stop(): void } {
  const seen: { seq: number; at: number }[] = [];
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(`http://${base}/v1/groups/${groupId}/events?afterSeq=0`, {
      headers: { authorization: `Bearer ${key}` },
      signal: abort.signal,
    });
    const reader = res.body?.getReader();
    let buffer = "";
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) return;
      buffer += new TextDecoder().decode(chunk.value);
      for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
        const id = buffer
          .slice(0, cut)
          .split("\n")
          .find((l) => l.startsWith("id: "));
        buffer = buffer.slice(cut + 2);
        if (id) seen.push({ seq: Number(id.slice(4)), at: Date.now() });
      }
    }
  })().catch(() => undefined);
  return { seen, stop: () => abort.abort() };
}

describe("live feeds across a nats-server restart", () => {
  it("resume promptly once NATS is back, with every seq once and in order", async () => {
    const ws = await StreamClient.open(`ws://${base}/v1/stream`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const wsArrivals = new Map<number, number>();
    ws.ws.on("message", (data: Buffer) => {
      const f = JSON.parse(data.toString("utf8")) as { type: string; seq?: number };
      if (f.type === "event" && f.seq !== undefined) wsArrivals.set(f.seq, Date.now());
    });
    await ws.subscribe(groupId, 0);
    const sse = followSse();
    const sent = [await publish("one"), await publish("two")];
    const wsSeen = () => ws.events(groupId).map((f) => f.seq ?? 0);
    await waitUntil("both before the outage", () => wsSeen().length === 2 && sse.seen.length === 2, 15_000);

    await nats.kill();
    await new Promise((r) => setTimeout(r, 500));
    await nats.restart();
    const back = Date.now();
    const three = await publish("three");
    const published = Date.now();
    sent.push(three);
    // More after the restart than before it: the old feed's re-pull asked for only as many as it had had.
    for (const word of ["four", "five", "six", "seven", "eight"]) sent.push(await publish(word));
    const lastPublished = Date.now();

    const last = sent.at(-1);
    await waitUntil("both feeds past the restart", () => wsSeen().includes(last ?? -1), 30_000, 10);
    await waitUntil("the SSE feed past the restart", () => sse.seen.some((s) => s.seq === last), 30_000, 10);
    const lags = {
      ws: (wsArrivals.get(three) ?? Number.NaN) - published,
      sse: (sse.seen.find((s) => s.seq === three)?.at ?? Number.NaN) - published,
      wsLast: (wsArrivals.get(last ?? -1) ?? Number.NaN) - lastPublished,
      sseLast: (sse.seen.find((s) => s.seq === last)?.at ?? Number.NaN) - lastPublished,
      publishAfterBack: published - back,
    };
    console.log("after the restart", lags);
    expect(wsSeen()).toEqual(sent);
    expect(sse.seen.map((s) => s.seq)).toEqual(sent);
    expect(ws.frames.some((f) => f.type === "error")).toBe(false);
    // The old feeds stayed silent 30–45 s; a few seconds is generous for a busy machine.
    for (const lag of [lags.ws, lags.sse, lags.wsLast, lags.sseLast]) expect(lag).toBeLessThan(5000);
    sse.stop();
    await ws.close();
  });
});
