import { describe, expect, it } from "vitest";
import { createConversation, type StreamEvent } from "./conversation.js";

const ev = (
  seq: number,
  type: string,
  turnId: string,
  payload: StreamEvent["event"]["payload"] = {},
): StreamEvent => ({
  seq,
  event: { id: `e${seq}`, type, turnId, payload },
});

describe("the visitor's conversation", () => {
  it("shows their messages and the replies in their turns, once each, in stream order", () => {
    const c = createConversation(undefined);
    expect(c.resumeAfter()).toBeUndefined();
    c.add(ev(4, "message.posted", "other", { content: "someone else" }));
    c.add(ev(5, "message.posted", "t1", { content: "hello" }));
    c.posted("t1", 5);
    c.add(ev(6, "turn.started", "t1"));
    c.add(ev(7, "agent.replied", "t1", { content: "ballot", agentName: "Ada", purpose: "ballot" }));
    c.add(ev(8, "agent.replied", "t1", { content: "Hi there", agentName: "Ada" }));
    expect(c.waiting()).toBe(true);
    c.add(ev(8, "agent.replied", "t1", { content: "Hi there", agentName: "Ada" }));
    c.add(ev(9, "turn.completed", "t1"));
    expect(c.lines().map((l) => [l.seq, l.who, l.name, l.text])).toEqual([
      [5, "visitor", "You", "hello"],
      [8, "agent", "Ada", "Hi there"],
    ]);
    expect(c.waiting()).toBe(false);
    expect(c.resumeAfter()).toBe(9);
    expect(c.saved()).toEqual({ fromSeq: 4, turns: ["t1"] });
  });

  it("shows an answer as its deltas come, once each, until the reply replaces it", () => {
    const c = createConversation(undefined);
    c.posted("t1", 5);
    const d = (index: number, text: string, workId = "w1") => ({
      turnId: "t1",
      agentId: "a1",
      workId,
      index,
      text,
    });
    expect(c.delta({ ...d(0, "Hel"), turnId: "other" })).toBe(false);
    expect(c.delta(d(0, "Hel"))).toBe(true);
    expect(c.delta(d(1, "lo"))).toBe(true);
    expect(c.delta(d(1, "lo"))).toBe(false);
    expect(c.delta(d(0, '{"vote"', "w2"))).toBe(true);
    expect(c.lines()).toEqual([
      { seq: Number.MAX_SAFE_INTEGER, turnId: "t1", who: "agent", name: "", text: "Hello", streaming: true },
    ]);
    c.add(ev(7, "agent.replied", "t1", { content: "Hello!", agentName: "Ada", agentId: "a1" }));
    expect(c.lines().map((l) => [l.who, l.name, l.text, l.streaming])).toEqual([
      ["agent", "Ada", "Hello!", undefined],
    ]);
  });

  it("resumes a saved conversation from where it began", () => {
    const c = createConversation({ fromSeq: 4, turns: ["t1"] });
    expect(c.resumeAfter()).toBe(4);
    expect(c.waiting()).toBe(true);
    expect(c.add(ev(5, "message.posted", "t1", { content: "hello" }))).toBe(true);
    expect(c.lines()).toHaveLength(1);
  });
});
