import { type KV, Kvm, provision } from "@conclave/bus";
import { noMemory } from "@conclave/memory";
import { openTestBus, type TestBus } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryTrackingSaver } from "../turns/testing.js";
import { KvCheckpointSaver } from "./kv-checkpointer.js";
import { createStrategyRunner } from "./runner.js";
import type { GraphInput, TurnSpec } from "./turn-graph.js";

let bus: TestBus;
let kv: KV;

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names);
  kv = await new Kvm(bus.nc).open(bus.names.bucket("checkpoints"));
});
afterAll(async () => {
  await bus?.dispose();
});

const speakers = ["Ada", "Bob", "Cy"].map((name, seat) => ({ id: `agent-${name}`, name, seat }));
const spec = (turnId: string): TurnSpec => ({
  turnId,
  strategy: "debate_vote",
  prompt: { name: "Lin", content: "which plan?" },
  speakers,
  selector: null,
  rounds: 1,
  mentions: { maxHops: 8, maxAlternations: 3, fallback: "broadcast" },
  selection: { maxConsecutive: 2, maxRetries: 2, maxSteps: 12 },
  voting: { rule: { kind: "majority" }, quorum: { kind: "count", min: 1 }, deadlineMs: 60_000 },
});
const at = "2026-01-01T00:00:00.000Z";
const reply = (n: number, askId: string, agent: (typeof speakers)[number], content: string): GraphInput => ({
  n,
  at,
  kind: "reply",
  answer: { askId, agentId: agent.id, name: agent.name, ok: true, content, eventId: `e${n}` },
});

/** Drives a debate to its end, each resume on the next runner in turn (replicas taking turns). */
async function drive(runners: ReturnType<typeof createStrategyRunner>[], turnId: string) {
  const [ada, bob, cy] = speakers as [(typeof speakers)[0], (typeof speakers)[0], (typeof speakers)[0]];
  let step = await (runners[0] as (typeof runners)[0]).start(spec(turnId), at, noMemory());
  const seen = [step.intents];
  const script: GraphInput[] = [
    reply(1, "a0", ada, "A0"),
    reply(2, "a1", bob, "B0"),
    reply(3, "a2", cy, "C0"),
    reply(4, "a3", ada, "A1"),
    reply(5, "a4", bob, "B1"),
    reply(6, "a5", cy, "C1"),
    reply(7, "a6", ada, '{"choice":"Bob","confidence":0.9,"rationale":"clear"}'),
    reply(8, "a7", bob, '{"choice":"bob","confidence":0.7}'),
    reply(9, "a8", cy, "I pick Ada"),
  ];
  for (const [i, input] of script.entries()) {
    const runner = runners[(i + 1) % runners.length] as (typeof runners)[0];
    step = await runner.resume("debate_vote", step.thread, step.checkpointId as string, input);
    seen.push(step.intents);
  }
  return { seen, step };
}

describe("LangGraph checkpoints in JetStream KV", () => {
  it("lets any replica resume a turn another replica started, with the same decisions as one process", async () => {
    const replicas = [0, 1, 2].map(() => createStrategyRunner(new KvCheckpointSaver(kv)));
    const shared = await drive(replicas, "turn-one");
    const alone = await drive([createStrategyRunner(new MemoryTrackingSaver())], "turn-one");
    expect(shared.step.done).toBe(true);
    expect(shared.seen).toEqual(alone.seen);
    const last = shared.seen.at(-1) ?? [];
    expect(last.map((i) => i.kind)).toEqual(["vote.cast", "vote.closed", "consensus", "end"]);
    expect(last.find((i) => i.kind === "vote.cast")).toMatchObject({
      payload: { choice: null, rationale: "ballot unreadable: no JSON object in the reply" },
    });
    expect(last.find((i) => i.kind === "consensus")).toMatchObject({
      reached: true,
      payload: { choice: "Bob" },
    });
  });

  it("resumes from the pinned checkpoint, so a losing replica's step is never seen", async () => {
    const a = createStrategyRunner(new KvCheckpointSaver(kv));
    const b = createStrategyRunner(new KvCheckpointSaver(kv));
    const [ada] = speakers as [(typeof speakers)[0]];
    const start = await a.start({ ...spec("turn-race"), strategy: "round_robin", rounds: 1 }, at, noMemory());
    // Two replicas resume from the same checkpoint with different answers; only one can win the
    // group state's compare-and-set, and the next step must build on the winner's checkpoint.
    const lost = await a.resume(
      "round_robin",
      start.thread,
      start.checkpointId as string,
      reply(1, "a0", ada, "lost"),
    );
    const won = await b.resume(
      "round_robin",
      start.thread,
      start.checkpointId as string,
      reply(1, "a0", ada, "won"),
    );
    expect(lost.checkpointId).not.toBe(won.checkpointId);
    const ask = won.intents.find((i) => i.kind === "ask");
    expect(ask?.kind === "ask" && ask.messages.at(-1)?.content).toContain("[Ada]: won");
    const [, bob] = speakers as [(typeof speakers)[0], (typeof speakers)[0]];
    const next = await a.resume(
      "round_robin",
      won.thread,
      won.checkpointId as string,
      reply(2, "a1", bob, "b"),
    );
    const third = next.intents.find((i) => i.kind === "ask");
    expect(third?.kind === "ask" && third.messages.at(-1)?.content).toContain("[Ada]: won");
    expect(third?.kind === "ask" && third.messages.at(-1)?.content).not.toContain("lost");
  });

  it("reads back what it stored without the bucket, and another replica reads the bucket", async () => {
    const here = createStrategyRunner(new KvCheckpointSaver(kv));
    const [ada, bob] = speakers as [(typeof speakers)[0], (typeof speakers)[0]];
    const start = await here.start({ ...spec("turn-own"), strategy: "round_robin" }, at, noMemory());
    const reads = { n: 0 };
    const counting = new Proxy(kv, {
      get(target, prop, receiver) {
        if (prop === "get") reads.n++;
        return Reflect.get(target, prop, receiver);
      },
    });
    const elsewhere = createStrategyRunner(new KvCheckpointSaver(counting));
    // The other replica resumes from the bucket; the replica that stored the checkpoint needs no read.
    const there = await elsewhere.resume(
      "round_robin",
      start.thread,
      start.checkpointId as string,
      reply(1, "a0", ada, "from there"),
    );
    expect(reads.n).toBeGreaterThan(0);
    const own = new KvCheckpointSaver(counting);
    const ownRunner = createStrategyRunner(own);
    const mine = await ownRunner.start({ ...spec("turn-own-2"), strategy: "round_robin" }, at, noMemory());
    reads.n = 0;
    const next = await ownRunner.resume(
      "round_robin",
      mine.thread,
      mine.checkpointId as string,
      reply(1, "a0", ada, "from here"),
    );
    expect(reads.n).toBe(0);
    // Both steps decided the same next ask from the same kind of state.
    const ask = (s: typeof there) => s.intents.find((i) => i.kind === "ask");
    expect(ask(next)).toMatchObject({ ask: { agentId: bob.id } });
    expect(ask(there)).toMatchObject({ ask: { agentId: bob.id } });
  });

  it("compacts a finished turn: every checkpoint and write of its thread is purged", async () => {
    const runner = createStrategyRunner(new KvCheckpointSaver(kv));
    const step = await runner.start({ ...spec("turn-compact"), strategy: "broadcast" }, at, noMemory());
    const keys = async () => {
      const out: string[] = [];
      for await (const k of await kv.keys(`${step.thread}.>`)) out.push(k);
      return out;
    };
    expect((await keys()).length).toBeGreaterThan(0);
    await runner.compact(step.thread);
    expect(await keys()).toEqual([]);
  });

  it("lists a thread's checkpoints newest first and finds the latest without an id", async () => {
    const saver = new KvCheckpointSaver(kv);
    const runner = createStrategyRunner(saver);
    const [ada, bob] = speakers as [(typeof speakers)[0], (typeof speakers)[0]];
    const s0 = await runner.start({ ...spec("turn-list"), strategy: "round_robin" }, at, noMemory());
    const s1 = await runner.resume(
      "round_robin",
      s0.thread,
      s0.checkpointId as string,
      reply(1, "a0", ada, "x"),
    );
    await runner.resume("round_robin", s1.thread, s1.checkpointId as string, reply(2, "a1", bob, "y"));
    const ids: string[] = [];
    for await (const t of saver.list({ configurable: { thread_id: s0.thread } })) {
      ids.push(String(t.config.configurable?.checkpoint_id));
    }
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect([...ids].sort().reverse()).toEqual(ids);
    const latest = await saver.getTuple({ configurable: { thread_id: s0.thread } });
    expect(latest?.config.configurable?.checkpoint_id).toBe(ids[0]);
    expect(await saver.getTuple({ configurable: { thread_id: "no-such-thread" } })).toBeUndefined();
    await expect(saver.getTuple({ configurable: { thread_id: "bad.thread" } })).rejects.toThrow(/thread_id/);
  });
});
