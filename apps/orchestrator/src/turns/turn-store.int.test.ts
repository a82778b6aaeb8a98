import { jetstream, jetstreamManager, type KV, Kvm, provision } from "@conclave/bus";
import { newEventId } from "@conclave/subjects";
import { openTestBus, quietLogger, type TestBus } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GroupState } from "./state.js";
import { memoryRunner, postedMessage, scriptedAgent, startTurn } from "./testing.js";
import { createTurnStore, type TurnStore } from "./turn-store.js";

// Two turn stores on one bucket stand for two orchestrator replicas. A store decides on the state it
// stored last without reading it again; the compare-and-set must still make every decision see the
// latest state, and a "nothing to do" on a stale state must never drop an event.

let bus: TestBus;
let kv: KV;
let deps: Parameters<typeof createTurnStore>[0];
let a: TurnStore;
let b: TurnStore;

/** Messages the conversation stream holds for a group. */
async function streamCount(groupId: string): Promise<number> {
  const jsm = await jetstreamManager(bus.nc);
  const info = await jsm.streams.info(bus.names.stream("conv"), {
    subjects_filter: bus.names.groupFilter(groupId),
  });
  return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
}

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names, { ackWaitMs: 2000 });
  kv = await new Kvm(bus.nc).open(bus.names.bucket("turns"));
  deps = { kv, js: jetstream(bus.nc), names: bus.names, log: quietLogger() };
  a = createTurnStore(deps);
  b = createTurnStore(deps);
});
afterAll(async () => {
  await bus?.dispose();
});

/** A decision that counts turns: what each call saw, and the state it leaves. */
const bump = (seen: number[]) => async (state: GroupState) => {
  seen.push(state.turnsRun);
  return { state: { ...state, turnsRun: state.turnsRun + 1 }, emit: [] };
};

describe("deciding on the state a replica stored last", () => {
  it("every decision builds on the latest state, whichever replica stored it", async () => {
    const groupId = newEventId();
    const seen: number[] = [];
    const stored: number[] = [];
    for (const store of [a, a, b, a, b, b, a]) {
      const d = await store.transact(groupId, bump(seen));
      stored.push(d?.state.turnsRun ?? -1);
    }
    // Each stored decision built on the one before it; a stale one lost and was decided again.
    expect(stored).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await a.read(groupId)).turnsRun).toBe(7);
    // Some decisions were made on a state a replica knew and had gone stale: they lost, and ran again.
    expect(seen.length).toBeGreaterThan(7);
  });

  it("a 'nothing to do' on a stale state is checked on a fresh read", async () => {
    const groupId = newEventId();
    await a.transact(groupId, bump([]));
    await b.transact(groupId, bump([]));
    // A knows turnsRun 1; the state is at 2. The decision acts only at 2: deciding on 1, it would
    // say "nothing to do" and the event would be lost.
    const seen: number[] = [];
    const decided = await a.transact(groupId, async (state) => {
      seen.push(state.turnsRun);
      return state.turnsRun === 2 ? { state: { ...state, turnsRun: 3 }, emit: [] } : null;
    });
    expect(seen).toEqual([1, 2]);
    expect(decided?.state.turnsRun).toBe(3);
    expect((await b.read(groupId)).turnsRun).toBe(3);
  });

  it("a decision that fails on a stale state is tried again on a fresh one", async () => {
    const groupId = newEventId();
    await a.transact(groupId, bump([]));
    await b.transact(groupId, bump([]));
    const seen: number[] = [];
    const decided = await a.transact(groupId, async (state) => {
      seen.push(state.turnsRun);
      if (state.turnsRun < 2) throw new Error("its checkpoint is gone");
      return { state: { ...state, turnsRun: 3 }, emit: [] };
    });
    expect(seen).toEqual([1, 2]);
    expect(decided?.state.turnsRun).toBe(3);
  });
});

describe("a running turn's published outbox", () => {
  const agents = [scriptedAgent("A"), scriptedAgent("B")];
  const runner = memoryRunner();
  const start = (groupId: string) => async (state: GroupState) =>
    startTurn(runner, state, postedMessage(groupId, "hi"), 1, agents, new Date(), 60_000, [], "round_robin");
  /** Every publish to the group's conversation subjects, deduplicated by JetStream or not. */
  const countPublishes = (groupId: string) => {
    const counted = { n: 0 };
    const sub = bus.nc.subscribe(bus.names.groupFilter(groupId), {
      callback: () => {
        counted.n++;
      },
    });
    return { counted, stop: () => sub.unsubscribe() };
  };
  const storedOutbox = async (groupId: string) => {
    const entry = await kv.get(groupId);
    if (!entry) throw new Error(`no state stored for ${groupId}`);
    return (entry.json() as { outbox: unknown[] }).outbox;
  };

  it("stays stored when the deadline is near; a replica reading it publishes it again, and JetStream keeps one copy", async () => {
    const here = createTurnStore({ ...deps, lingerMs: 300_000 });
    const there = createTurnStore({ ...deps, lingerMs: 300_000 });
    const groupId = newEventId();
    const publishes = countPublishes(groupId);
    const started = await here.transact(groupId, start(groupId));
    const conv = started?.emit.filter((e) => !e.type.startsWith("work.")) ?? [];
    expect(conv.length).toBeGreaterThan(0);
    expect((await storedOutbox(groupId)).length).toBe(started?.emit.length);
    const before = await streamCount(groupId);
    // Another replica with nothing to decide still flushes what it found: published again, deduplicated.
    await there.transact(groupId, async () => null);
    await bus.nc.flush();
    expect(publishes.counted.n).toBe(2 * conv.length);
    expect(await storedOutbox(groupId)).toEqual([]);
    expect(await streamCount(groupId)).toBe(before);
    publishes.stop();
  });

  it("is replaced by this process's next write without being published again", async () => {
    const here = createTurnStore({ ...deps, lingerMs: 300_000 });
    const groupId = newEventId();
    const publishes = countPublishes(groupId);
    const started = await here.transact(groupId, start(groupId));
    const conv = started?.emit.filter((e) => !e.type.startsWith("work.")) ?? [];
    await here.transact(groupId, async (state) => ({
      state: { ...state, turnsRun: state.turnsRun + 5 },
      emit: [],
    }));
    await bus.nc.flush();
    expect(publishes.counted.n).toBe(conv.length);
    expect(await storedOutbox(groupId)).toEqual([]);
    expect((await here.read(groupId)).turnsRun).toBe(5);
    publishes.stop();
  });

  it("is cleared at once when the deadline is further away than the store may let it linger", async () => {
    const here = createTurnStore({ ...deps, lingerMs: 1_000 });
    const groupId = newEventId();
    await here.transact(groupId, start(groupId));
    expect(await storedOutbox(groupId)).toEqual([]);
  });
});
