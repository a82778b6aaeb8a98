import type { Event } from "@ag-ui/core";
import { type AnyEnvelope, makeEnvelope, newEventId, workOutcomeId } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { parseCursor } from "./cursor.js";
import { createRunTranslator, type Output, type RunIds } from "./translate.js";

const groupId = newEventId();
const turnId = newEventId();
const messageId = newEventId();
const ada = newEventId();
const bob = newEventId();
const ids: RunIds = { threadId: groupId, runId: "run-1", turnId, messageId, messageSeq: 10 };
const names = new Map([
  [ada, "Ada"],
  [bob, "Bob"],
]);
const workA = newEventId();
const workB = newEventId();

const ev = (type: AnyEnvelope["type"], payload: object, id = newEventId()) =>
  makeEnvelope({
    id,
    type,
    groupId,
    turnId,
    causationId: null,
    actor: { kind: "system", id: "orchestrator" },
    payload,
  } as Parameters<typeof makeEnvelope>[0]) as AnyEnvelope;
const replied = (work: string, agentId: string, content: string) =>
  ev(
    "agent.replied",
    {
      agentId,
      agentName: names.get(agentId),
      content,
      provider: "scripted",
      model: "m",
      latencyMs: 1,
    },
    workOutcomeId(work),
  );

/** A turn: two agents, the first streamed live, the second only recorded. */
const history: [number, AnyEnvelope][] = [
  [
    11,
    ev("turn.started", {
      messageId,
      messageSeq: 10,
      strategy: "round_robin",
      agentIds: [ada, bob],
      deadline: new Date().toISOString(),
    }),
  ],
  [
    12,
    ev("speaker.selected", {
      agentId: ada,
      agentName: "Ada",
      strategy: "round_robin",
      rule: "seat_order",
      reason: "first",
      askId: "a",
    }),
  ],
  [13, replied(workA, ada, "one two three")],
  [
    14,
    ev("speaker.selected", {
      agentId: bob,
      agentName: "Bob",
      strategy: "round_robin",
      rule: "seat_order",
      reason: "next",
      askId: "b",
    }),
  ],
  [15, replied(workB, bob, "four five")],
  [16, ev("turn.completed", { messageId, replyIds: [], durationMs: 5 })],
];
const deltas = ["one ", "two ", "three"].map((text, index) => ({
  groupId,
  turnId,
  agentId: ada,
  workId: workA,
  index,
  text,
}));

/** The live run: Ada's deltas arrive after her speaker choice, before her reply. */
function live(): Output[] {
  const t = createRunTranslator(ids, names);
  const out = [...t.start()];
  for (const [seq, e] of history) {
    if (seq === 13) for (const d of deltas) out.push(...t.delta(d));
    out.push(...t.event(seq, e));
  }
  return out;
}

/** What a client makes of a stream: each message's text, and every other event in order. */
function read(events: Event[]) {
  const text = new Map<string, string>();
  const rest: string[] = [];
  for (const e of events as (Event & { messageId?: string; delta?: string })[]) {
    if (e.type === "TEXT_MESSAGE_CONTENT")
      text.set(e.messageId ?? "", (text.get(e.messageId ?? "") ?? "") + e.delta);
    else rest.push(`${e.type}:${e.messageId ?? ""}`);
  }
  return { text, rest };
}

describe("the AG-UI run translator", () => {
  it("translates a turn into one run: started, snapshot, each message once, finished", () => {
    const out = live();
    const { text, rest } = read(out.map((o) => o.event));
    expect(rest[0]).toBe("RUN_STARTED:");
    expect(rest[1]).toBe("STATE_SNAPSHOT:");
    expect(rest.at(-1)).toBe("RUN_FINISHED:");
    expect([...text.values()]).toEqual(["one two three", "four five"]);
    expect(
      out.filter(
        (o) =>
          o.event.type === "TEXT_MESSAGE_CONTENT" &&
          (o.event as { messageId: string }).messageId === workOutcomeId(workA),
      ),
    ).toHaveLength(3);
  });

  it("resumes after any event it sent with exactly the rest: no gap, nothing twice", () => {
    const whole = live();
    const expected = read(whole.map((o) => o.event));
    for (let i = 0; i < whole.length; i++) {
      const cursor = parseCursor(whole[i]?.id ?? "");
      expect(cursor, whole[i]?.id).toBeDefined();
      // A resumed stream reads the history again; the deltas were live only, and are gone.
      const t = createRunTranslator(ids, names, cursor);
      const after = [...t.start()];
      for (const [seq, e] of history) after.push(...t.event(seq, e));
      const union = read([...whole.slice(0, i + 1), ...after].map((o) => o.event));
      expect(union.rest, `after ${whole[i]?.id}`).toEqual(expected.rest);
      expect(union.text, `after ${whole[i]?.id}`).toEqual(expected.text);
      expect(t.ended).toBe(true);
    }
  });

  it("sends a message it joined mid-call whole, at its reply", () => {
    const t = createRunTranslator(ids, names);
    t.start();
    expect(t.delta({ ...deltas[1], index: 1 } as (typeof deltas)[number])).toEqual([]);
    const out = t.event(13, replied(workA, ada, "one two three"));
    expect(read(out.map((o) => o.event)).text.get(workOutcomeId(workA))).toBe("one two three");
  });

  it("ends a run whose caller lost access with one RUN_ERROR access_lost at the cursor so far", () => {
    const t = createRunTranslator(ids, names);
    const started = t.start();
    const lost = t.accessLost("access to the group was lost");
    expect(lost).toHaveLength(1);
    expect(lost[0]?.event).toMatchObject({ type: "RUN_ERROR", code: "access_lost" });
    expect(lost[0]?.id).toBe(started.at(-1)?.id);
    expect(t.ended).toBe(true);
    expect(t.accessLost("again")).toEqual([]);
    expect(t.delta(deltas[0] as (typeof deltas)[number])).toEqual([]);
  });

  it("ends the run with a MESSAGES_SNAPSHOT: the input's messages, ids kept, then each reply whole", () => {
    const input = [{ id: "client-1", role: "user" as const, content: "count with me" }];
    const t = createRunTranslator(ids, names, undefined, input);
    const out = [...t.start()];
    for (const [seq, e] of history) out.push(...t.event(seq, e));
    const types = out.map((o) => o.event.type);
    expect(types.slice(-2)).toEqual(["MESSAGES_SNAPSHOT", "RUN_FINISHED"]);
    const snap = out.at(-2)?.event as { messages: { id: string; role: string; content?: string }[] };
    expect(snap.messages.map((m) => [m.id, m.role, m.content])).toEqual([
      ["client-1", "user", "count with me"],
      [workOutcomeId(workA), "assistant", "one two three"],
      [workOutcomeId(workB), "assistant", "four five"],
    ]);
    // A stream resumed before the end sends the same snapshot, built from the events it read again.
    const resumed = createRunTranslator(ids, names, parseCursor(out[2]?.id ?? ""), input);
    resumed.start();
    const again: Output[] = [];
    for (const [seq, e] of history) again.push(...resumed.event(seq, e));
    expect(again.find((o) => o.event.type === "MESSAGES_SNAPSHOT")?.event).toEqual(snap);
  });
});
