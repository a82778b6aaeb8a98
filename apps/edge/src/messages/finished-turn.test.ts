import {
  type AnyEnvelope,
  type EventType,
  makeEnvelope,
  newEventId,
  type PayloadOf,
} from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { finishedTurn, type StreamEvent } from "./finished-turn.js";

const groupId = newEventId();
const turnId = newEventId();
const messageId = newEventId();
const ids = { messageId, turnId, seq: 10 };
const ada = newEventId();
const bob = newEventId();
const system = { kind: "system" as const, id: "orchestrator" };

let seq = 10;
function ev<T extends EventType>(type: T, payload: PayloadOf<T>, turn = turnId): StreamEvent {
  const event = makeEnvelope({
    id: newEventId(),
    type,
    groupId,
    turnId: turn,
    causationId: null,
    actor: system,
    payload,
  });
  return { seq: ++seq, event: event as AnyEnvelope };
}
const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens, cachedTokens: 0 });
const reply = (agentId: string, agentName: string, content: string, tokens = usage(10, 5), turn = turnId) =>
  ev(
    "agent.replied",
    { agentId, agentName, content, provider: "scripted", model: "scripted-1", latencyMs: 1, usage: tokens },
    turn,
  );
const started = (strategy: "broadcast" | "debate_vote") =>
  ev("turn.started", {
    messageId,
    messageSeq: 10,
    strategy,
    agentIds: [ada, bob],
    deadline: new Date(Date.now() + 60_000).toISOString(),
  });

describe("the finished turn", () => {
  it("is not there while its outcome is not among the events (another turn's outcome does not count)", () => {
    const other = newEventId();
    const events = [
      started("broadcast"),
      reply(ada, "Ada", "hi"),
      ev("turn.completed", { messageId: newEventId(), replyIds: [], durationMs: 3 }, other),
    ];
    expect(finishedTurn(ids, events)).toBeUndefined();
  });

  it("lists the replies the outcome names, in stream order, and sums the tokens of every call", () => {
    const a = reply(ada, "Ada", "first", usage(100, 20));
    const b = reply(bob, "Bob", "second", usage(50, 10));
    const elsewhere = reply(ada, "Ada", "another turn's", usage(1000, 1000), newEventId());
    const tools = ev("agent.tool_requested", {
      agentId: ada,
      agentName: "Ada",
      step: 0,
      content: "",
      calls: [{ id: "c1", name: "calculator", args: { expression: "1+1" }, key: "k1" }],
      usage: usage(7, 3),
    });
    const done = ev("turn.completed", { messageId, replyIds: [a.event.id, b.event.id], durationMs: 1234 });
    const turn = finishedTurn(ids, [started("broadcast"), tools, a, elsewhere, b, done]);
    expect(turn).toMatchObject({
      messageId,
      turnId,
      seq: 10,
      status: "completed",
      reason: null,
      detail: null,
      strategy: "broadcast",
      durationMs: 1234,
      endedAt: done.event.at,
      vote: null,
      usage: { inputTokens: 157, outputTokens: 33 },
    });
    expect(turn?.replies).toEqual([
      {
        id: a.event.id,
        seq: a.seq,
        agentId: ada,
        agentName: "Ada",
        content: "first",
        provider: "scripted",
        model: "scripted-1",
        usage: usage(100, 20),
        at: a.event.at,
      },
      expect.objectContaining({ id: b.event.id, agentName: "Bob", content: "second" }),
    ]);
  });

  it("leaves out ballots and selector picks (replies the outcome does not name) but counts their tokens", () => {
    const answer = reply(ada, "Ada", "the answer", usage(10, 10));
    const pick = reply(bob, "Bob", '{"next":"Ada"}', usage(1, 1));
    const done = ev("turn.completed", { messageId, replyIds: [answer.event.id], durationMs: 5 });
    const turn = finishedTurn(ids, [pick, answer, done]);
    expect(turn?.replies.map((r) => r.content)).toEqual(["the answer"]);
    expect(turn?.usage).toEqual({ inputTokens: 11, outputTokens: 11 });
    expect(turn?.strategy).toBeNull();
  });

  it("shapes a debate's vote: options, first ballot per agent, tally, winner and consensus", () => {
    const voteId = newEventId();
    const openA = reply(ada, "Ada", "use postgres");
    const openB = reply(bob, "Bob", "use sqlite");
    const ballotA = reply(ada, "Ada", '{"choice":"Ada"}', usage(3, 2));
    const ballotB = reply(bob, "Bob", '{"choice":"Ada"}', usage(3, 2));
    const deadline = new Date(Date.now() + 30_000).toISOString();
    const events = [
      started("debate_vote"),
      openA,
      openB,
      ev("vote.opened", {
        voteId,
        question: "which database?",
        options: [
          { choice: "Ada", agentId: ada, summary: "use postgres" },
          { choice: "Bob", agentId: bob, summary: "use sqlite" },
        ],
        voters: [
          { agentId: ada, agentName: "Ada", seat: 0 },
          { agentId: bob, agentName: "Bob", seat: 1 },
        ],
        rule: { kind: "majority" },
        quorum: { kind: "count", min: 1 },
        deadline,
      }),
      ballotA,
      ev("vote.cast", {
        voteId,
        agentId: ada,
        agentName: "Ada",
        choice: "Ada",
        confidence: 0.9,
        rationale: "robust",
        replyId: ballotA.event.id,
      }),
      ev("vote.cast", {
        voteId,
        agentId: ada,
        agentName: "Ada",
        choice: "Bob",
        confidence: 0.1,
        rationale: "again",
      }),
      ballotB,
      ev("vote.cast", {
        voteId,
        agentId: bob,
        agentName: "Bob",
        choice: "Ada",
        confidence: 0.6,
        rationale: "fair",
        replyId: ballotB.event.id,
      }),
      ev("vote.closed", {
        voteId,
        closedBy: "all_voted",
        winner: "Ada",
        leader: "Ada",
        outcome: "Ada wins",
        reason: "2 of 2 votes",
        choices: [{ choice: "Ada", count: 2, share: 1, meanConfidence: 0.75, voters: [ada, bob] }],
        tieBreak: null,
        turnout: { eligible: 2, voted: 2, abstained: 0, missing: [] },
        quorum: { required: 1, met: true },
      }),
      ev("consensus.reached", {
        voteId,
        choice: "Ada",
        confidence: 1,
        rule: "majority",
        answer: "use postgres",
      }),
      ev("turn.completed", { messageId, replyIds: [openA.event.id, openB.event.id], durationMs: 99 }),
    ];
    const turn = finishedTurn(ids, events);
    expect(turn?.replies.map((r) => r.content)).toEqual(["use postgres", "use sqlite"]);
    expect(turn?.usage).toEqual({ inputTokens: 26, outputTokens: 14 });
    expect(turn?.vote).toEqual({
      voteId,
      status: "closed",
      question: "which database?",
      rule: { kind: "majority" },
      quorum: { kind: "count", min: 1 },
      options: [
        { choice: "Ada", agentId: ada, summary: "use postgres" },
        { choice: "Bob", agentId: bob, summary: "use sqlite" },
      ],
      deadline,
      closedBy: "all_voted",
      winner: "Ada",
      leader: "Ada",
      reason: "2 of 2 votes",
      tally: {
        choices: [{ choice: "Ada", count: 2, share: 1, meanConfidence: 0.75, voters: [ada, bob] }],
        tieBreak: null,
        turnout: { eligible: 2, voted: 2, abstained: 0, missing: [] },
        quorum: { required: 1, met: true },
      },
      ballots: [
        {
          agentId: ada,
          agentName: "Ada",
          choice: "Ada",
          confidence: 0.9,
          rationale: "robust",
          replyId: ballotA.event.id,
        },
        {
          agentId: bob,
          agentName: "Bob",
          choice: "Ada",
          confidence: 0.6,
          rationale: "fair",
          replyId: ballotB.event.id,
        },
      ],
      consensus: {
        status: "reached",
        choice: "Ada",
        code: null,
        reason: null,
        confidence: 1,
        answer: "use postgres",
      },
    });
  });

  it("says why a turn failed, and a consensus that failed", () => {
    const voteId = newEventId();
    const events = [
      ev("consensus.failed", { voteId, code: "tie", reason: "1 to 1", leader: null, confidence: 0.5 }),
      ev("turn.failed", {
        messageId,
        reason: "timeout",
        detail: "60 s passed",
        replyIds: [],
        durationMs: 60_000,
      }),
    ];
    const turn = finishedTurn(ids, events);
    expect(turn).toMatchObject({ status: "failed", reason: "timeout", detail: "60 s passed", replies: [] });
    expect(turn?.vote?.consensus).toEqual({
      status: "failed",
      choice: null,
      code: "tie",
      reason: "1 to 1",
      confidence: 0.5,
      answer: null,
    });
    expect(turn?.vote?.status).toBe("open");
  });
});
