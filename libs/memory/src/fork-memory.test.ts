import {
  type AnyConvEnvelope,
  type Envelope,
  makeEnvelope,
  newEventId,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { forkMemory } from "./fork-memory.js";
import { resolveMemory } from "./settings.js";

const groupId = newEventId();
const lin = { kind: "user" as const, id: newEventId(), name: "Lin" };
const ada = { id: newEventId(), name: "Ada" };
const at = "2026-12-07T01:00:00.000Z";

/** A small history: a block, a debated turn with a vote, a refused message, and a turn cut open. */
function history() {
  const [a, b, c] = [newEventId(), newEventId(), newEventId()];
  const voteId = newEventId();
  const e = <T extends AnyConvEnvelope["type"]>(
    type: T,
    turnId: string | null,
    payload: Envelope<T>["payload"],
    actor: AnyConvEnvelope["actor"] = SYSTEM_ACTOR,
  ) => makeEnvelope({ id: newEventId(), type, groupId, turnId, causationId: null, actor, payload, at });
  const said = (turnId: string, content: string) =>
    e("message.posted", turnId, { messageId: newEventId(), content }, lin);
  const replied = (turnId: string, content: string, purpose?: "reply" | "ballot") =>
    e("agent.replied", turnId, {
      agentId: ada.id,
      agentName: ada.name,
      content,
      provider: "scripted",
      model: "scripted",
      latencyMs: 1,
      ...(purpose ? { purpose } : {}),
    });
  const started = (turnId: string, messageSeq: number) =>
    e("turn.started", turnId, {
      messageId: newEventId(),
      messageSeq,
      strategy: "debate_vote",
      agentIds: [ada.id],
      deadline: at,
    });
  const events: AnyConvEnvelope[] = [
    e(
      "memory.updated",
      null,
      {
        label: "facts",
        action: "set",
        oldDigest: null,
        newDigest: "d",
        value: "the sky is blue",
        limit: 100,
        version: 1,
      },
      lin,
    ),
    said(a, "should we paint it?"),
    started(a, 2),
    replied(a, "yes, green"),
    replied(a, '{"choice":"Ada"}', "ballot"),
    e("vote.closed", a, {
      voteId,
      closedBy: "all_voted",
      winner: "Ada",
      leader: "Ada",
      outcome: "chosen",
      reason: "majority",
      choices: [{ choice: "Ada", count: 1, share: 1, meanConfidence: 1, voters: [ada.id] }],
      tieBreak: null,
      turnout: { eligible: 1, voted: 1, abstained: 0, missing: [] },
      quorum: { required: 1, met: true },
    }),
    e("turn.completed", a, { messageId: newEventId(), replyIds: [], durationMs: 1 }),
    said(b, "refused while busy"),
    e("turn.failed", b, {
      messageId: newEventId(),
      reason: "rejected",
      detail: "",
      replyIds: [],
      durationMs: 0,
    }),
    said(c, "and now?"),
    started(c, 11),
    replied(c, "cut before the end"),
  ];
  return { events, turns: { a, b, c } };
}

const fold = (events: readonly AnyConvEnvelope[], from = 1) => {
  const f = forkMemory({
    groupId,
    memory: resolveMemory({}),
    retain: { windowTokens: 4_000, maxMessages: 50 },
  });
  events.forEach((e, i) => {
    f.add(from + i, e);
  });
  return f;
};

describe("forkMemory", () => {
  it("remembers each ended turn's message, answers and vote outcome, the blocks, and the turns left open", () => {
    const { events, turns } = history();
    const f = fold(events);
    const r = f.record();
    expect(r.entries.map((x) => [x.seq, x.kind, x.content])).toEqual([
      [2, "message", "should we paint it?"],
      [4, "reply", "yes, green"],
      [5, "outcome", "The group chose Ada's answer, 1 of 1 vote."],
    ]);
    expect(r.turns).toEqual([turns.a]);
    expect(r.blocks.map((b) => [b.label, b.value, b.version])).toEqual([["facts", "the sky is blue", 1]]);
    expect(r.blockChanges).toBe(1);
    expect(f.openTurns()).toEqual([turns.c]);
    // The same copies always fold to the same record.
    expect(fold(events).record()).toEqual(r);
  });

  it("applies a summary and a reset where they happened", () => {
    const { events } = history();
    const upTo = events.slice(0, 7);
    const summary = makeEnvelope({
      id: newEventId(),
      type: "memory.summarized",
      groupId,
      turnId: null,
      causationId: null,
      actor: SYSTEM_ACTOR,
      payload: {
        fromSeq: 2,
        upToSeq: 4,
        summary: "Lin asked; Ada said green.",
        tokens: 8,
        previousId: null,
        agentId: ada.id,
        provider: "scripted",
        model: "scripted",
      },
      at,
    });
    const summed = fold([...upTo, summary]).record();
    expect(summed.summary).toMatchObject({
      eventId: summary.id,
      upToSeq: 4,
      text: "Lin asked; Ada said green.",
    });
    expect(summed.entries.map((x) => x.seq)).toEqual([5]);
    const reset = makeEnvelope({
      id: newEventId(),
      type: "memory.reset",
      groupId,
      turnId: null,
      causationId: null,
      actor: lin,
      payload: {},
      at,
    });
    const forgotten = fold([...upTo, summary, reset]).record();
    expect([forgotten.summary, forgotten.entries, forgotten.resetSeq]).toEqual([null, [], 9]);
    expect(forgotten.blocks).toHaveLength(1);
  });
});
