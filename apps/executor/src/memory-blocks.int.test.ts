import { jetstream, Kvm } from "@conclave/bus";
import { isAppError } from "@conclave/errors";
import { blockEventId, createMemoryStore, type MemoryStore } from "@conclave/memory";
import { BLOCK_LIMITS, emptyMemory, newEventId } from "@conclave/subjects";
import { openProvisionedBus, readGroupEvents, type TestBus } from "@conclave/testing";
import type { MemoryBlockStore } from "@conclave/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryBlocks } from "./memory-blocks.js";

let bus: TestBus;
let memory: MemoryStore;
let blocks: MemoryBlockStore;

beforeAll(async () => {
  bus = await openProvisionedBus();
  const kv = await new Kvm(bus.nc).open(bus.names.bucket("memory"));
  memory = createMemoryStore({ kv, js: jetstream(bus.nc), names: bus.names });
  blocks = createMemoryBlocks(memory);
});
afterAll(async () => {
  await bus?.dispose();
});

const agent = { id: newEventId(), name: "Ada" };

/** The error an edit is refused with (fails the test if it is not refused). */
async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isAppError(e)) throw new Error(`expected a refusal, got ${String(e)}`);
  return { code: e.code, paths: e.fields.map((f) => f.path) };
}

const updates = async (groupId: string) =>
  (await readGroupEvents(bus, groupId)).filter((e) => e.type === "memory.updated");

describe("the memory tool's store", () => {
  it("appends as the agent, once per call key, each change one memory.updated through the outbox", async () => {
    const groupId = newEventId();
    const turnId = newEventId();
    const edit = { action: "append", label: "facts", text: "Lin likes tea" } as const;
    const first = await blocks.edit({ groupId, agent, turnId, edit, idempotencyKey: "k1" });
    expect(first).toEqual({ label: "facts", value: "Lin likes tea", limit: 2000, version: 1, changed: true });
    // The same call run again (a redelivery after a crash): nothing changes, nothing is published.
    const again = await blocks.edit({ groupId, agent, turnId, edit, idempotencyKey: "k1" });
    expect(again).toMatchObject({ value: "Lin likes tea", version: 1, changed: false });
    const second = await blocks.edit({
      groupId,
      agent,
      turnId,
      edit: { action: "append", label: "facts", text: "Bo likes coffee" },
      idempotencyKey: "k2",
    });
    expect(second).toMatchObject({ value: "Lin likes tea\nBo likes coffee", version: 2, changed: true });

    const events = await updates(groupId);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      id: blockEventId(emptyMemory(groupId)),
      turnId,
      actor: { kind: "agent", id: agent.id, name: "Ada" },
      payload: { label: "facts", action: "append", oldDigest: null, value: "Lin likes tea", version: 1 },
    });
    expect(events[1]?.payload).toMatchObject({ action: "append", version: 2 });
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    const record = await memory.read(groupId);
    expect(record.outbox).toEqual([]);
    expect(record.blocks[0]?.updatedBy).toEqual({ kind: "agent", id: agent.id, name: "Ada" });
  });

  it("replaces text, and refuses what it cannot do, naming the argument and changing nothing", async () => {
    const groupId = newEventId();
    const edit = (e: Parameters<MemoryBlockStore["edit"]>[0]["edit"], key: string) =>
      blocks.edit({ groupId, agent, edit: e, idempotencyKey: key });
    expect(await refusal(edit({ action: "replace", label: "facts", old: "tea", new: "milk" }, "r0"))).toEqual(
      {
        code: "not_found",
        paths: ["label"],
      },
    );
    await edit({ action: "append", label: "facts", text: "Lin likes tea" }, "a1");
    expect(
      await edit({ action: "replace", label: "facts", old: "tea", new: "green tea" }, "r1"),
    ).toMatchObject({
      value: "Lin likes green tea",
      version: 2,
    });
    const before = await memory.read(groupId);
    expect(await refusal(edit({ action: "replace", label: "facts", old: "cocoa", new: "x" }, "r2"))).toEqual({
      code: "validation",
      paths: ["old"],
    });
    const long = "x".repeat(BLOCK_LIMITS.defaultLimit);
    expect(await refusal(edit({ action: "append", label: "facts", text: long }, "a2"))).toEqual({
      code: "unprocessable",
      paths: ["text"],
    });
    expect(await refusal(edit({ action: "append", label: "Facts!", text: "x" }, "a3"))).toEqual({
      code: "validation",
      paths: ["label"],
    });
    expect(await memory.read(groupId)).toEqual(before);
    expect((await updates(groupId)).map((e) => e.payload)).toMatchObject([
      { action: "append", version: 1 },
      { action: "replace", version: 2, value: "Lin likes green tea" },
    ]);
  });

  it("keeps what a model writes storable: a NUL becomes U+FFFD", async () => {
    const groupId = newEventId();
    const done = await blocks.edit({
      groupId,
      agent,
      edit: { action: "append", label: "notes", text: "a\u0000b" },
      idempotencyKey: "n1",
    });
    expect(done.value).toBe("a\uFFFDb");
  });
});
