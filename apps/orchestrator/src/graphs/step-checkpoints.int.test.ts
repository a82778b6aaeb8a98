import { type KV, Kvm, provision } from "@conclave/bus";
import { noMemory } from "@conclave/memory";
import { openTestBus, type TestBus } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStrategyRunner, type GraphStep } from "./runner.js";
import { bucketCheckpoints, StoredCheckpoint } from "./step-checkpoints.js";
import type { GraphInput, TurnSpec } from "./turn-graph.js";
import { kvTurnMemories } from "./turn-memories.js";

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
const [ada, bob, cy] = speakers as [(typeof speakers)[0], (typeof speakers)[0], (typeof speakers)[0]];
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

/** What the group state keeps: the step's checkpoint as it comes back from KV (JSON, parsed again). */
const stored = (step: GraphStep) => {
  if (!step.checkpoint) throw new Error("the step left no checkpoint");
  return {
    checkpoint: StoredCheckpoint.parse(JSON.parse(JSON.stringify(step.checkpoint))),
    checkpointId: step.checkpoint.id,
  };
};

/** Drives a debate to its end, each resume on the next runner in turn (replicas taking turns). */
async function drive(runners: ReturnType<typeof createStrategyRunner>[], turnId: string) {
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
    step = await runner.resume("debate_vote", step.thread, stored(step), input);
    seen.push(step.intents);
  }
  return { seen, step };
}

describe("LangGraph checkpoints kept in the group state", () => {
  it("lets any replica resume a turn another replica started, with the same decisions as one process", async () => {
    const replicas = [0, 1, 2].map(() => createStrategyRunner());
    const shared = await drive(replicas, "turn-one");
    const alone = await drive([createStrategyRunner()], "turn-one");
    expect(shared.step.done).toBe(true);
    expect(shared.step.checkpoint).toBeUndefined();
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

  it("resumes from the checkpoint it is given, so a losing replica's step is never seen", async () => {
    const a = createStrategyRunner();
    const b = createStrategyRunner();
    const start = await a.start({ ...spec("turn-race"), strategy: "round_robin", rounds: 1 }, at, noMemory());
    // Two replicas resume from the same checkpoint with different answers; only one can win the
    // group state's compare-and-set, and the next step builds on the winner's checkpoint.
    const lost = await a.resume("round_robin", start.thread, stored(start), reply(1, "a0", ada, "lost"));
    const won = await b.resume("round_robin", start.thread, stored(start), reply(1, "a0", ada, "won"));
    expect(lost.checkpoint?.id).not.toBe(won.checkpoint?.id);
    const ask = won.intents.find((i) => i.kind === "ask");
    expect(ask?.kind === "ask" && ask.messages.at(-1)?.content).toContain("[Ada]: won");
    const next = await a.resume("round_robin", won.thread, stored(won), reply(2, "a1", bob, "b"));
    const third = next.intents.find((i) => i.kind === "ask");
    expect(third?.kind === "ask" && third.messages.at(-1)?.content).toContain("[Ada]: won");
    expect(third?.kind === "ask" && third.messages.at(-1)?.content).not.toContain("lost");
  });

  it("resumes a turn whose checkpoint an earlier version kept in the bucket", async () => {
    const runner = createStrategyRunner({ older: bucketCheckpoints(kv) });
    const start = await runner.start({ ...spec("turn-older"), strategy: "round_robin" }, at, noMemory());
    const c = stored(start).checkpoint;
    // The earlier layout: `<thread>.c.<id>` and `<thread>.w.<id>`, each blob [type, base64].
    const old = (b: StoredCheckpoint["checkpoint"]) => [
      b.t,
      "json" in b ? Buffer.from(b.json).toString("base64") : b.b64,
    ];
    await kv.put(
      `${start.thread}.c.${c.id}`,
      JSON.stringify({ checkpoint: old(c.checkpoint), metadata: old(c.metadata) }),
    );
    await kv.put(
      `${start.thread}.w.${c.id}`,
      JSON.stringify({
        writes: Object.fromEntries(
          Object.entries(c.writes).map(([k, [task, channel, v]]) => [k, [task, channel, old(v)]]),
        ),
      }),
    );
    const fromBucket = await runner.resume(
      "round_robin",
      start.thread,
      { checkpointId: c.id },
      reply(1, "a0", ada, "x"),
    );
    const fromState = await runner.resume(
      "round_robin",
      start.thread,
      stored(start),
      reply(1, "a0", ada, "x"),
    );
    expect(fromBucket.intents).toEqual(fromState.intents);
    expect(fromBucket.intents.find((i) => i.kind === "ask")).toMatchObject({ ask: { agentId: bob.id } });
    await expect(
      runner.resume(
        "round_robin",
        start.thread,
        { checkpointId: "no-such-checkpoint" },
        reply(1, "a0", ada, "x"),
      ),
    ).rejects.toThrow(/no checkpoint/);
  });

  it("compacts a finished turn: its memory, the one key it kept beside its thread, is purged", async () => {
    const memories = kvTurnMemories(kv);
    const runner = createStrategyRunner({ memories });
    const step = await runner.start({ ...spec("turn-compact"), strategy: "broadcast" }, at, noMemory());
    const keys = async () => {
      const out: string[] = [];
      for await (const k of await kv.keys(`${step.thread}.>`)) out.push(k);
      return out;
    };
    expect(await keys()).toEqual([`${step.thread}.m`]);
    await runner.compact(step.thread);
    expect(await keys()).toEqual([]);
  });
});
