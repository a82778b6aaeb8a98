import { jetstream, Kvm, publishEnvelope } from "@conclave/bus";
import { eq, events, groups, turns } from "@conclave/db";
import type { Service } from "@conclave/runtime";
import {
  type AnyEnvelope,
  emptyMemory,
  type MemoryEntry,
  MemoryRecord,
  makeEnvelope,
  newEventId,
} from "@conclave/subjects";
import {
  type BothDatabases,
  openBothDatabases,
  openProvisionedBus,
  quietLogger,
  readGroupEvents,
  type TestBus,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecorder, loadConfig } from "../app.js";
import { createRetention } from "./retention.js";

// Retention on both drivers, with events whose envelopes are backdated (the stream's own timestamps
// cannot be): a turn 40 days old goes, one 10 days old stays, under a 30-day limit.

const DAY_MS = 86_400_000;
let both: BothDatabases;

beforeAll(async () => {
  both = await openBothDatabases();
});
afterAll(async () => {
  await both?.close();
});

const daysAgo = (d: number, ms = 0) => new Date(Date.now() - d * DAY_MS + ms).toISOString();

/** A finished one-agent turn, every event `d` days old. */
function turnEvents(groupId: string, d: number, content: string): AnyEnvelope[] {
  const turnId = newEventId();
  const messageId = newEventId();
  const replyId = newEventId();
  const agentId = newEventId();
  const base = { groupId, turnId, causationId: null };
  return [
    makeEnvelope({
      ...base,
      id: messageId,
      type: "message.posted",
      actor: { kind: "user", id: "u1" },
      payload: { messageId, content },
      at: daysAgo(d),
    }),
    makeEnvelope({
      ...base,
      id: newEventId(),
      type: "turn.started",
      actor: { kind: "system", id: "orchestrator" },
      payload: {
        messageId,
        messageSeq: 1,
        strategy: "broadcast",
        agentIds: [agentId],
        deadline: daysAgo(d, 60_000),
      },
      at: daysAgo(d, 10),
    }),
    makeEnvelope({
      ...base,
      id: replyId,
      type: "agent.replied",
      actor: { kind: "agent", id: agentId, name: "Ada" },
      payload: {
        agentId,
        agentName: "Ada",
        content: `re: ${content}`,
        provider: "scripted",
        model: "m",
        latencyMs: 1,
      },
      at: daysAgo(d, 20),
    }),
    makeEnvelope({
      ...base,
      id: newEventId(),
      type: "turn.completed",
      actor: { kind: "system", id: "orchestrator" },
      payload: { messageId, replyIds: [replyId], durationMs: 30 },
      at: daysAgo(d, 30),
    }),
  ];
}

describe.each(["postgres", "pglite"] as const)("retention on %s", (driver) => {
  let bus: TestBus;
  let recorder: Service;

  beforeAll(async () => {
    bus = await openProvisionedBus();
    recorder = createRecorder({
      config: loadConfig({ CONCLAVE_NS: bus.names.ns, RETENTION_INTERVAL_MS: "0" }),
      nc: bus.nc,
      db: both.handles[driver].db,
      log: quietLogger("recorder"),
    });
    await recorder.start();
  });
  afterAll(async () => {
    await recorder?.stop();
    await bus?.dispose();
  });

  it("removes the turn past the limit by its envelopes' time, exactly as the dry run listed", async () => {
    const db = both.handles[driver].db;
    const groupId = newEventId();
    await db.insert(groups).values({ id: groupId, name: "backdated", settings: { retentionDays: 30 } });
    const old = turnEvents(groupId, 40, "old news");
    const recent = turnEvents(groupId, 10, "recent news");
    const js = jetstream(bus.nc);
    const seqs: number[] = [];
    for (const e of [...old, ...recent]) seqs.push((await publishEnvelope(js, bus.names, e)).seq);
    const firstKept = seqs[old.length] as number;
    const [oldTurn, recentTurn] = [old[0]?.turnId as string, recent[0]?.turnId as string];
    // The memory window of both turns, a summary and a block; checkpoints left by both turns.
    const entry = (seq: number, turnId: string): MemoryEntry => ({
      seq,
      kind: "message",
      turnId,
      by: { kind: "user", id: "u1" },
      content: "x",
      tokens: 5,
    });
    const memory = MemoryRecord.parse({
      ...emptyMemory(groupId),
      entries: [entry(seqs[0] as number, oldTurn), entry(firstKept, recentTurn)],
      summary: { eventId: newEventId(), fromSeq: 1, upToSeq: 2, text: "so far", tokens: 2 },
    });
    const kvm = new Kvm(bus.nc);
    const memoryKv = await kvm.open(bus.names.bucket("memory"));
    await memoryKv.put(groupId, JSON.stringify(memory));
    const checkpoints = await kvm.open(bus.names.bucket("checkpoints"));
    await checkpoints.put(`${oldTurn}_0badc0de.m`, "{}");
    await checkpoints.put(`${recentTurn}_0badc0de.m`, "{}");

    const retention = createRetention({ db, nc: bus.nc, names: bus.names, log: quietLogger() });
    // Recorded and acked: the plan is no longer held back by the recorder.
    const now = new Date();
    const dry = await waitUntil("the events recorded and acked", async () => {
      const r = await retention.run({ now, dryRun: true, groupId });
      const g = r.groups[0];
      return g && g.heldBy.length === 0 && g.keepFromSeq === firstKept ? r : undefined;
    });
    expect(dry.groups[0]).toMatchObject({
      keepFromSeq: firstKept,
      turnIds: [oldTurn],
      stream: { messages: old.length },
      rows: { events: 4, messages: 2, turns: 1, votes: 0, vote_ballots: 0, llm_calls: 0, files: 0 },
      memoryEntries: 1,
      checkpointKeys: [`${oldTurn}_0badc0de.m`],
    });
    const done = await retention.run({ now, groupId });
    expect(done.groups).toEqual(dry.groups);

    expect((await readGroupEvents(bus, groupId)).map((e) => e.id)).toEqual(recent.map((e) => e.id));
    const left = await db.select({ id: events.id }).from(events).where(eq(events.groupId, groupId));
    expect(left.map((e) => e.id).sort()).toEqual(recent.map((e) => e.id).sort());
    expect(await db.select({ id: turns.id }).from(turns).where(eq(turns.groupId, groupId))).toEqual([
      { id: recentTurn },
    ]);
    const after = MemoryRecord.parse((await memoryKv.get(groupId))?.json());
    expect(after).toEqual({ ...memory, entries: [entry(firstKept, recentTurn)] });
    expect(await checkpoints.get(`${oldTurn}_0badc0de.m`)).toBeNull();
    expect((await checkpoints.get(`${recentTurn}_0badc0de.m`))?.operation).toBe("PUT");

    // Idempotent: a second sweep finds nothing more.
    const again = (await retention.run({ now, groupId })).groups[0];
    expect(again?.stream.messages).toBe(0);
    expect(Object.values(again?.rows ?? {}).every((n) => n === 0)).toBe(true);
  });
});
