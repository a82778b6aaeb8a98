import { jetstream, jetstreamManager, publishEnvelope } from "@conclave/bus";
import { type DbHandle, eq, messages, openDb } from "@conclave/db";
import type { Service } from "@conclave/runtime";
import { deriveEventId, makeEnvelope, newEventId } from "@conclave/subjects";
import {
  createTestDatabase,
  openProvisionedBus,
  quietLogger,
  type TestBus,
  type TestDatabase,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecorder, loadConfig } from "./app.js";

let bus: TestBus;
let database: TestDatabase;
let db: DbHandle;
let recorder: Service;

beforeAll(async () => {
  [bus, database] = await Promise.all([openProvisionedBus(), createTestDatabase()]);
  db = await openDb({ url: database.url, poolSize: 2 });
  recorder = createRecorder({
    config: loadConfig({ CONCLAVE_NS: bus.names.ns }),
    nc: bus.nc,
    db: db.db,
    log: quietLogger("recorder"),
  });
  await recorder.start();
});
afterAll(async () => {
  await recorder?.stop();
  await db?.close();
  await bus?.dispose();
  await database?.drop();
});

describe("the recorder", () => {
  it("stores a model's NUL as U+FFFD and dead-letters an unstorable event at once, then goes on", async () => {
    const js = jetstream(bus.nc);
    const groupId = newEventId();
    const turnId = newEventId();
    const agentId = newEventId();
    const reply = (key: string, content: string, at?: string) =>
      makeEnvelope({
        ...(at ? { at } : {}),
        id: deriveEventId(turnId, key),
        type: "agent.replied",
        groupId,
        turnId,
        causationId: null,
        actor: { kind: "agent", id: agentId, name: "Ada" },
        payload: { agentId, agentName: "Ada", content, provider: "scripted", model: "m", latencyMs: 1 },
      });
    const nul = reply("nul", "a\u0000b");
    // A valid ISO date PostgreSQL's timestamps cannot hold (no year 0): a data exception.
    const unstorable = reply("year0", "fine", "0000-01-01T00:00:00Z");
    const after = reply("after", "next");
    for (const e of [nul, unstorable, after]) await publishEnvelope(js, bus.names, e);

    const rowOf = async (id: string) => (await db.db.select().from(messages).where(eq(messages.id, id)))[0];
    // Far below the minutes a retried event would hold its place.
    await waitUntil("the later reply recorded", () => rowOf(after.id), 20_000);
    expect((await rowOf(nul.id))?.content).toBe("a\uFFFDb");
    expect(await rowOf(unstorable.id)).toBeUndefined();
    const jsm = await jetstreamManager(bus.nc);
    const dead = await waitUntil(
      "the dead letter",
      async () =>
        (await jsm.streams.getMessage(bus.names.stream("dlq"), {
          last_by_subj: bus.names.dlqSubject(bus.names.stream("conv")),
        })) ?? undefined,
      20_000,
    );
    expect(dead.header.get("Conclave-Dlq-Reason")).toMatch(/cannot be stored/);
  });
});
