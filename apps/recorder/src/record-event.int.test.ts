import { type DbHandle, eq, events, messages, turns, voteBallots, votes } from "@conclave/db";
import {
  type AnyConvEnvelope,
  deriveEventId,
  makeEnvelope,
  newEventId,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import { type BothDatabases, openBothDatabases } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataExceptionOf } from "./data-exception.js";
import { recordEvent, recordEvents } from "./record-event.js";

let both: BothDatabases;
const handles: Record<string, DbHandle> = {};

beforeAll(async () => {
  both = await openBothDatabases();
  Object.assign(handles, both.handles);
});
afterAll(async () => {
  await both?.close();
});

function turnEvents() {
  const groupId = newEventId();
  const turnId = newEventId();
  const messageId = newEventId();
  const base = { groupId, turnId, actor: SYSTEM_ACTOR };
  const posted = makeEnvelope({
    ...base,
    id: messageId,
    type: "message.posted",
    causationId: null,
    actor: { kind: "user", id: "u", name: "Lin" },
    payload: { messageId, content: "hi" },
  });
  const started = makeEnvelope({
    ...base,
    id: deriveEventId(turnId, "s"),
    type: "turn.started",
    causationId: messageId,
    payload: {
      messageId,
      messageSeq: 1,
      strategy: "broadcast",
      agentIds: [],
      deadline: new Date().toISOString(),
    },
  });
  const completed = makeEnvelope({
    ...base,
    id: deriveEventId(turnId, "e"),
    type: "turn.completed",
    causationId: messageId,
    payload: { messageId, replyIds: [], durationMs: 3 },
  });
  return { groupId, turnId, messageId, posted, started, completed };
}

/** The events of one `debate_vote` ballot of two voters: opened, three ballots (one a second try), closed, consensus. */
function voteEvents() {
  const t = turnEvents();
  const voteId = newEventId();
  const [ada, bo] = [newEventId(), newEventId()];
  const base = { groupId: t.groupId, turnId: t.turnId, causationId: t.messageId, actor: SYSTEM_ACTOR };
  const opened = makeEnvelope({
    ...base,
    id: deriveEventId(voteId, "opened"),
    type: "vote.opened",
    payload: {
      voteId,
      question: "Which plan?",
      options: [
        { choice: "A", agentId: ada, summary: "plan A" },
        { choice: "B", agentId: bo, summary: "plan B" },
      ],
      voters: [
        { agentId: ada, agentName: "Ada", seat: 0 },
        { agentId: bo, agentName: "Bo", seat: 1 },
      ],
      rule: { kind: "supermajority", threshold: 0.6 },
      quorum: { kind: "count", min: 1 },
      deadline: new Date(Date.now() + 60_000).toISOString(),
    },
  });
  const cast = (agentId: string, agentName: string, choice: string | null, key: string) =>
    makeEnvelope({
      ...base,
      id: deriveEventId(voteId, key),
      type: "vote.cast",
      actor: { kind: "agent", id: agentId, name: agentName },
      payload: { voteId, agentId, agentName, choice, confidence: 0.8, rationale: `${agentName} thinks so` },
    });
  const closed = makeEnvelope({
    ...base,
    id: deriveEventId(voteId, "closed"),
    type: "vote.closed",
    payload: {
      voteId,
      closedBy: "all_voted",
      winner: "A",
      leader: "A",
      outcome: "A wins",
      reason: "1 of 1 votes cast",
      choices: [{ choice: "A", count: 1, share: 1, meanConfidence: 0.8, voters: [ada] }],
      tieBreak: null,
      turnout: { eligible: 2, voted: 1, abstained: 1, missing: [] },
      quorum: { required: 1, met: true },
    },
  });
  const reached = makeEnvelope({
    ...base,
    id: deriveEventId(voteId, "consensus"),
    type: "consensus.reached",
    payload: { voteId, choice: "A", confidence: 1, rule: "supermajority" },
  });
  return {
    ...t,
    voteId,
    ada,
    bo,
    opened,
    ballots: [
      cast(ada, "Ada", "A", "cast:ada"),
      cast(bo, "Bo", null, "cast:bo"),
      cast(ada, "Ada", "B", "again:ada"),
    ],
    closed,
    reached,
  };
}

describe.each(["postgres", "pglite"])("recordEvent on %s", (kind) => {
  const db = () => (handles[kind] as DbHandle).db;

  it("records an event once, however often it is delivered", async () => {
    const t = turnEvents();
    expect(await recordEvent(db(), t.posted as AnyConvEnvelope, 1)).toBe(true);
    expect(await recordEvent(db(), t.posted as AnyConvEnvelope, 1)).toBe(false);
    expect(await recordEvent(db(), t.posted as AnyConvEnvelope, 9)).toBe(false);
    expect(await db().select().from(events).where(eq(events.groupId, t.groupId))).toHaveLength(1);
    expect(await db().select().from(messages).where(eq(messages.groupId, t.groupId))).toHaveLength(1);
  });

  it("records a batch in one transaction: each event once, in stream order, its messages and turn", async () => {
    const t = turnEvents();
    const e = (x: unknown) => x as AnyConvEnvelope;
    // Out of order, and the message twice (a redelivery while the first copy is in the batch).
    const fresh = await recordEvents(db(), [
      { event: e(t.completed), seq: 3 },
      { event: e(t.posted), seq: 1 },
      { event: e(t.started), seq: 2 },
      { event: e(t.posted), seq: 1 },
    ]);
    expect(fresh).toEqual([true, true, true, false]);
    const rows = await db().select().from(events).where(eq(events.groupId, t.groupId));
    expect(rows.map((r) => Number(r.seq)).sort()).toEqual([1, 2, 3]);
    expect(await db().select().from(messages).where(eq(messages.groupId, t.groupId))).toHaveLength(1);
    // The turn's three events in one batch make one row with what each of them says.
    const [turn] = await db().select().from(turns).where(eq(turns.id, t.turnId));
    expect(turn).toMatchObject({ status: "completed", groupId: t.groupId, reason: null });
    expect(turn?.strategy).not.toBeNull();
    expect([turn?.postedAt, turn?.startedAt, turn?.endedAt].every((at) => at !== null)).toBe(true);
    // Again, as a whole batch redelivered: nothing new.
    expect(
      await recordEvents(db(), [
        { event: e(t.posted), seq: 1 },
        { event: e(t.started), seq: 2 },
      ]),
    ).toEqual([false, false]);
  });

  it("never moves an ended turn back to running when events arrive out of order", async () => {
    const t = turnEvents();
    await recordEvent(db(), t.posted as AnyConvEnvelope, 1);
    await recordEvent(db(), t.completed as AnyConvEnvelope, 3);
    await recordEvent(db(), t.started as AnyConvEnvelope, 2);
    const [turn] = await db().select().from(turns).where(eq(turns.id, t.turnId));
    expect(turn?.status).toBe("completed");
    expect(turn?.startedAt).not.toBeNull();
    expect(turn?.endedAt).not.toBeNull();
  });

  it("keeps a failed turn failed, with its reason, whatever comes in later batches", async () => {
    const t = turnEvents();
    const failed = makeEnvelope({
      groupId: t.groupId,
      turnId: t.turnId,
      actor: SYSTEM_ACTOR,
      id: deriveEventId(t.turnId, "f"),
      type: "turn.failed",
      causationId: t.messageId,
      payload: {
        messageId: t.messageId,
        reason: "timeout",
        detail: "took too long",
        replyIds: [],
        durationMs: 9,
      },
    });
    const e = (x: unknown) => x as AnyConvEnvelope;
    await recordEvents(db(), [
      { event: e(t.started), seq: 2 },
      { event: e(failed), seq: 3 },
    ]);
    await recordEvents(db(), [{ event: e(t.posted), seq: 1 }]);
    const [turn] = await db().select().from(turns).where(eq(turns.id, t.turnId));
    expect(turn).toMatchObject({ status: "failed", reason: "timeout: took too long", strategy: "broadcast" });
    expect([turn?.postedAt, turn?.startedAt, turn?.endedAt].every((at) => at !== null)).toBe(true);
  });

  it("rolls the whole event back when a projection fails", async () => {
    const t = turnEvents();
    // A message row already holds this id, so the projection's insert fails after the event's.
    await db().insert(messages).values({
      id: t.posted.id,
      groupId: t.groupId,
      turnId: null,
      seq: 0,
      type: "x",
      authorKind: "user",
      authorId: "x",
      content: "x",
      at: new Date().toISOString(),
    });
    await expect(recordEvent(db(), t.posted as AnyConvEnvelope, 1)).rejects.toThrow();
    expect(await db().select().from(events).where(eq(events.groupId, t.groupId))).toHaveLength(0);
  });
  it("records what each agent reply answered: a reply, a ballot, a pick, or nothing said (older events)", async () => {
    const t = turnEvents();
    const agentId = newEventId();
    const reply = (id: string, content: string, purpose?: "reply" | "ballot" | "select") =>
      makeEnvelope({
        id: deriveEventId(t.turnId, id),
        type: "agent.replied",
        groupId: t.groupId,
        turnId: t.turnId,
        causationId: t.messageId,
        actor: { kind: "agent", id: agentId, name: "Ada" },
        payload: {
          agentId,
          agentName: "Ada",
          content,
          provider: "scripted",
          model: "m",
          latencyMs: 1,
          ...(purpose ? { purpose } : {}),
        },
      });
    const replies = [
      reply("r", "an answer", "reply"),
      reply("b", '{"choice":"A"}', "ballot"),
      reply("s", "Bo", "select"),
      reply("o", "old"),
    ];
    for (const [i, e] of replies.entries())
      expect(await recordEvent(db(), e as AnyConvEnvelope, i + 1)).toBe(true);
    const rows = await db()
      .select({ content: messages.content, purpose: messages.purpose })
      .from(messages)
      .where(eq(messages.groupId, t.groupId))
      .orderBy(messages.seq);
    expect(rows).toEqual([
      { content: "an answer", purpose: "reply" },
      { content: '{"choice":"A"}', purpose: "ballot" },
      { content: "Bo", purpose: "select" },
      { content: "old", purpose: null },
    ]);
    // A person's message has no purpose.
    await recordEvent(db(), t.posted as AnyConvEnvelope, 9);
    const [posted] = await db().select().from(messages).where(eq(messages.id, t.posted.id));
    expect(posted?.purpose).toBeNull();
  });

  it("records the strategy a turn started with", async () => {
    const t = turnEvents();
    await recordEvent(db(), t.posted as AnyConvEnvelope, 1);
    const started = { ...t.started, payload: { ...t.started.payload, strategy: "debate_vote" } };
    await recordEvent(db(), started as AnyConvEnvelope, 2);
    const [turn] = await db().select().from(turns).where(eq(turns.id, t.turnId));
    expect(turn).toMatchObject({ status: "running", strategy: "debate_vote" });
  });

  it("projects a vote: its ballots once per agent, its tally and its consensus", async () => {
    const v = voteEvents();
    let seq = 10;
    for (const e of [v.opened, ...v.ballots, v.closed, v.reached])
      expect(await recordEvent(db(), e as AnyConvEnvelope, seq++)).toBe(true);
    // Redelivered ballots change nothing either.
    for (const e of v.ballots) expect(await recordEvent(db(), e as AnyConvEnvelope, seq++)).toBe(false);

    const ballots = await db().select().from(voteBallots).where(eq(voteBallots.voteId, v.voteId));
    expect(ballots.map((b) => [b.agentName, b.choice]).sort()).toEqual([
      ["Ada", "A"],
      ["Bo", null],
    ]);
    const [vote] = await db().select().from(votes).where(eq(votes.voteId, v.voteId));
    expect(vote).toMatchObject({
      groupId: v.groupId,
      turnId: v.turnId,
      question: "Which plan?",
      rule: { kind: "supermajority", threshold: 0.6 },
      quorum: { kind: "count", min: 1 },
      status: "closed",
      closedBy: "all_voted",
      winner: "A",
      outcome: "A wins",
      consensus: "reached",
      consensusCode: null,
      confidence: 1,
    });
    expect(vote?.voters).toHaveLength(2);
    expect(vote?.tally?.turnout).toEqual({ eligible: 2, voted: 1, abstained: 1, missing: [] });
    expect(vote?.openedAt).not.toBeNull();
    expect(vote?.closedAt).not.toBeNull();
    // Every event is in the log, including the ballot that did not count.
    const logged = await db().select().from(events).where(eq(events.groupId, v.groupId));
    expect(logged.filter((e) => e.type === "vote.cast")).toHaveLength(3);
  });

  it("builds the same vote whatever order its events are recorded in", async () => {
    const v = voteEvents();
    const failed = makeEnvelope({
      id: deriveEventId(v.voteId, "consensus"),
      type: "consensus.failed",
      groupId: v.groupId,
      turnId: v.turnId,
      causationId: v.closed.id,
      actor: SYSTEM_ACTOR,
      payload: {
        voteId: v.voteId,
        code: "no_supermajority",
        reason: "A has 0.5",
        leader: "A",
        confidence: 0.5,
      },
    });
    let seq = 1;
    for (const e of [failed, v.closed, ...v.ballots.slice(0, 2), v.opened])
      await recordEvent(db(), e as AnyConvEnvelope, seq++);
    const [vote] = await db().select().from(votes).where(eq(votes.voteId, v.voteId));
    expect(vote).toMatchObject({
      status: "closed",
      question: "Which plan?",
      winner: "A",
      consensus: "failed",
      consensusCode: "no_supermajority",
      confidence: 0.5,
    });
    expect(vote?.openedAt).not.toBeNull();
    expect(await db().select().from(voteBallots).where(eq(voteBallots.voteId, v.voteId))).toHaveLength(2);
  });

  it("keeps speaker, guard and cancel events in the log only", async () => {
    const t = turnEvents();
    const base = { groupId: t.groupId, turnId: t.turnId, causationId: t.messageId, actor: SYSTEM_ACTOR };
    const agentId = newEventId();
    const facts = [
      makeEnvelope({
        ...base,
        id: deriveEventId(t.turnId, "speaker"),
        type: "speaker.selected",
        payload: {
          agentId,
          agentName: "Ada",
          strategy: "round_robin",
          rule: "seat_order",
          reason: "seat 0",
          round: 1,
          askId: "ask-1",
        },
      }),
      makeEnvelope({
        ...base,
        id: deriveEventId(t.turnId, "guard"),
        type: "guard.triggered",
        payload: { code: "max_steps", reason: "8 steps", agentId },
      }),
      makeEnvelope({
        ...base,
        id: deriveEventId(t.turnId, "cancel"),
        type: "turn.cancel_requested",
        causationId: null,
        actor: { kind: "user", id: "u" },
        payload: { reason: "enough" },
      }),
    ];
    for (const [i, e] of facts.entries())
      expect(await recordEvent(db(), e as AnyConvEnvelope, i + 1)).toBe(true);
    const logged = await db().select().from(events).where(eq(events.groupId, t.groupId));
    expect(logged.map((e) => e.type).sort()).toEqual([
      "guard.triggered",
      "speaker.selected",
      "turn.cancel_requested",
    ]);
    expect(await db().select().from(turns).where(eq(turns.id, t.turnId))).toHaveLength(0);
  });
  it("stores a NUL from a model or a tool as U+FFFD instead of failing (and retrying) the event", async () => {
    const t = turnEvents();
    const agentId = newEventId();
    const base = { groupId: t.groupId, turnId: t.turnId, causationId: t.messageId };
    const replied = makeEnvelope({
      ...base,
      id: deriveEventId(t.turnId, "reply"),
      type: "agent.replied",
      actor: { kind: "agent", id: agentId, name: "Ada" },
      payload: {
        agentId,
        agentName: "Ada",
        content: "bin\u0000ary",
        provider: "scripted",
        model: "m",
        latencyMs: 1,
      },
    });
    const tool = makeEnvelope({
      ...base,
      id: deriveEventId(t.turnId, "tool"),
      type: "tool.completed",
      actor: SYSTEM_ACTOR,
      payload: {
        agentId,
        step: 0,
        callId: "c",
        name: "http_fetch",
        key: "k",
        ok: true,
        result: { "body\u0000": ["\u0000", "\ud800"] },
        durationMs: 1,
        replayed: false,
      },
    });
    expect(await recordEvent(db(), replied as AnyConvEnvelope, 1)).toBe(true);
    expect(await recordEvent(db(), tool as AnyConvEnvelope, 2)).toBe(true);
    const [message] = await db().select().from(messages).where(eq(messages.id, replied.id));
    expect(message?.content).toBe("bin\uFFFDary");
    const [stored] = await db().select().from(events).where(eq(events.id, tool.id));
    expect((stored?.payload as { result?: unknown } | undefined)?.result).toEqual({
      "body\uFFFD": ["\uFFFD", "\uFFFD"],
    });
  });

  it("fails a value no column can hold with a data exception (never worth a retry)", async () => {
    const t = turnEvents();
    // A valid ISO date PostgreSQL's timestamps cannot hold (there is no year 0).
    const bad = { ...t.completed, at: "0000-01-01T00:00:00Z" } as AnyConvEnvelope;
    const failed = await recordEvent(db(), bad, 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(dataExceptionOf(failed)).toEqual({
      code: expect.stringMatching(/^22/),
      message: expect.any(String),
    });
    expect(dataExceptionOf(failed)?.message).not.toMatch(/\n|params/);
    expect(dataExceptionOf(new Error("connection refused"))).toBeUndefined();
  });
});
