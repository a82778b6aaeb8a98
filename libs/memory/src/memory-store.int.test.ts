import { jetstream, Kvm, provision } from "@conclave/bus";
import { newEventId } from "@conclave/subjects";
import { openTestBus, type TestBus } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore, type MemoryStore } from "./memory-store.js";

// Two stores on one bucket stand for two writers (an orchestrator and an edge, say). A store changes
// the record it stored last without reading it again; the compare-and-set must still make every
// change build on the latest record, and a "nothing to change" on a stale one must be re-checked.

let bus: TestBus;
let a: MemoryStore;
let b: MemoryStore;

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names, { ackWaitMs: 2000 });
  const kv = await new Kvm(bus.nc).open(bus.names.bucket("memory"));
  const deps = { kv, js: jetstream(bus.nc), names: bus.names };
  a = createMemoryStore(deps);
  b = createMemoryStore(deps);
});
afterAll(async () => {
  await bus?.dispose();
});

const addTurn = (turnId: string) => (record: Parameters<Parameters<MemoryStore["transact"]>[1]>[0]) => ({
  record: { ...record, turns: [...record.turns, turnId] },
  emit: [],
});

describe("changing the record a writer stored last", () => {
  it("every change builds on the latest record, whichever writer stored it", async () => {
    const groupId = newEventId();
    const order = ["a1", "a2", "b1", "a3", "b2", "a4"];
    for (const t of order) await (t.startsWith("a") ? a : b).transact(groupId, addTurn(t));
    expect((await a.read(groupId)).turns).toEqual(order);
  });

  it("a 'nothing to change' on a stale record is checked on a fresh read", async () => {
    const groupId = newEventId();
    await a.transact(groupId, addTurn("first"));
    await b.transact(groupId, addTurn("second"));
    // A knows only "first"; the change applies once "second" is in.
    const seen: string[][] = [];
    const r = await a.transact(groupId, (record) => {
      seen.push(record.turns);
      return record.turns.includes("second") ? addTurn("third")(record) : null;
    });
    expect(seen).toEqual([["first"], ["first", "second"]]);
    expect(r.record.turns).toEqual(["first", "second", "third"]);
  });
});
