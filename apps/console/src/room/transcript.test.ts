import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../api/types.js";
import { applyDelta, applyEvent, emptyTranscript, type Transcript } from "./transcript.js";

const G = "00000000-0000-7000-8000-000000000001";
const T = "00000000-0000-7000-8000-000000000002";
const A = "00000000-0000-7000-8000-0000000000a1";
const W = "00000000-0000-7000-8000-0000000000f1";

let n = 0;
const ev = (type: string, payload: object, more: Partial<StreamEvent> = {}): StreamEvent => ({
  id: `00000000-0000-7000-8000-${String(++n).padStart(12, "0")}`,
  type,
  groupId: G,
  turnId: T,
  causationId: null,
  at: "2026-12-07T12:00:00.000Z",
  actor: { kind: "user", id: "u1" },
  payload,
  ...more,
});

const turn: [number, StreamEvent][] = [
  [1, ev("message.posted", { messageId: "m", content: "hello" })],
  [2, ev("turn.started", { strategy: "broadcast" })],
  [3, ev("speaker.selected", { agentId: A, agentName: "Ada", rule: "broadcast", reason: "everyone" })],
  [
    4,
    ev(
      "agent.replied",
      { agentId: A, agentName: "Ada", content: "Hi there", model: "scripted" },
      { causationId: W },
    ),
  ],
  [5, ev("turn.completed", { durationMs: 1200 })],
];
const play = (t: Transcript, events: [number, StreamEvent][]) =>
  events.reduce((acc, [seq, e]) => applyEvent(acc, seq, e), t);

describe("the room's transcript", () => {
  it("applies each seq once, whether it comes again from a replay, a resume or a duplicate", () => {
    const once = play(emptyTranscript(), turn);
    // History (1..3), then the stream resuming from 2 (a reload between them), then a duplicate.
    const twice = play(play(play(emptyTranscript(), turn.slice(0, 3)), turn.slice(1)), [
      turn[3] as [number, StreamEvent],
    ]);
    expect(twice).toEqual(once);
    expect(once.lastSeq).toBe(5);
    expect(once.entries.map((e) => e.kind)).toEqual(["message", "turn", "speaker", "reply", "turn"]);
    expect(once.running).toBe(false);
  });

  it("streams tokens on the speaker's line until the reply lands, then drops late ones", () => {
    let t = play(emptyTranscript(), turn.slice(0, 3));
    const delta = (index: number, text: string) => ({
      groupId: G,
      turnId: T,
      agentId: A,
      workId: W,
      index,
      text,
    });
    t = applyDelta(t, delta(0, "Hi "));
    t = applyDelta(t, delta(1, "there"));
    t = applyDelta(t, delta(1, "there"));
    expect(t.streaming).toEqual([expect.objectContaining({ agentName: "Ada", text: "Hi there", next: 2 })]);
    t = play(t, turn.slice(3, 4));
    expect(t.streaming).toEqual([]);
    expect(applyDelta(t, delta(2, "!"))).toBe(t);
  });

  it("shows a ballot as the vote's, and the tally and consensus on the vote", () => {
    const V = "00000000-0000-7000-8000-0000000000b1";
    const t = play(emptyTranscript(), [
      [
        1,
        ev("vote.opened", {
          voteId: V,
          question: "q",
          options: [{ choice: "Ada", summary: "A" }],
          voters: [{}, {}],
        }),
      ],
      [2, ev("agent.replied", { agentId: A, agentName: "Ada", purpose: "ballot", content: "{}" })],
      [
        3,
        ev("vote.cast", {
          voteId: V,
          agentId: A,
          agentName: "Ada",
          choice: "Ada",
          confidence: 0.9,
          rationale: "r",
        }),
      ],
      [
        4,
        ev("vote.closed", {
          voteId: V,
          winner: "Ada",
          reason: "majority",
          choices: [{ choice: "Ada", count: 1, share: 1 }],
        }),
      ],
      [5, ev("consensus.reached", { voteId: V, choice: "Ada", confidence: 1 })],
    ]);
    expect(t.entries.map((e) => e.kind)).toEqual(["vote"]);
    const vote = t.entries[0];
    expect(vote?.kind === "vote" && vote.vote).toMatchObject({
      ballots: [{ agentName: "Ada", choice: "Ada" }],
      closed: { winner: "Ada", choices: [{ choice: "Ada", count: 1 }] },
      consensus: { reached: true },
    });
  });

  it("follows a tool call from its request through approval to its result", () => {
    const t = play(emptyTranscript(), [
      [
        1,
        ev("agent.tool_requested", {
          agentId: A,
          agentName: "Ada",
          content: "",
          calls: [{ key: "k1", name: "run_js", args: {} }],
        }),
      ],
      [2, ev("tool.approval_requested", { agentId: A, key: "k1", name: "run_js", args: {} })],
    ]);
    expect(t.entries).toEqual([expect.objectContaining({ kind: "tool", key: "k1", status: "waiting" })]);
    const done = play(t, [
      [3, ev("tool.approved", { key: "k1" })],
      [4, ev("tool.completed", { agentId: A, key: "k1", name: "run_js", ok: true, result: 42 })],
    ]);
    expect(done.entries).toEqual([expect.objectContaining({ kind: "tool", status: "ok", result: 42 })]);
  });
});
