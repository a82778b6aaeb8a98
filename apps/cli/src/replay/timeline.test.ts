import {
  type Actor,
  CONV_EVENT_TYPES,
  type ConvEventType,
  makeEnvelope,
  newEventId,
  type PayloadOf,
} from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { createDirectory } from "../directory.js";
import { createStyle, stripAnsi } from "../term/style.js";
import { formatTimeline, type ReplayedEvent } from "./timeline.js";

const plain = createStyle(false);
const groupId = newEventId();
const turnId = newEventId();
const ada = newEventId();
const bob = newEventId();
const person = newEventId();
const voteId = newEventId();
const T0 = Date.parse("2026-05-01T10:00:00.000Z");
const SYSTEM: Actor = { kind: "system", id: "conclave" };

let seq = 100;
function ev<T extends ConvEventType>(
  type: T,
  payload: PayloadOf<T>,
  opts: { ms?: number; actor?: Actor; turn?: string | null } = {},
): ReplayedEvent {
  const event = makeEnvelope({
    id: newEventId(),
    type,
    groupId,
    turnId: opts.turn === undefined ? turnId : opts.turn,
    causationId: null,
    actor: opts.actor ?? SYSTEM,
    payload,
    at: new Date(T0 + (opts.ms ?? 0)).toISOString(),
  });
  return { seq: ++seq, event: JSON.parse(JSON.stringify(event)) };
}

const usage = { inputTokens: 120, outputTokens: 8, cachedTokens: 0 };
const agentActor = (id: string, name: string): Actor => ({ kind: "agent", id, name });

/** A debate_vote turn with a tool call, as its events are recorded. */
function debateTurn(): ReplayedEvent[] {
  const messageId = newEventId();
  return [
    ev(
      "message.posted",
      { messageId, content: "Should we ship on Friday?" },
      { actor: { kind: "user", id: person } },
    ),
    ev(
      "turn.started",
      {
        messageId,
        messageSeq: 101,
        strategy: "debate_vote",
        agentIds: [ada, bob],
        deadline: new Date(T0 + 120_000).toISOString(),
        memory: {
          summaryId: null,
          resetSeq: 0,
          fromSeq: 3,
          toSeq: 90,
          entries: 12,
          blocks: [{ label: "facts", version: 2 }],
        },
      },
      { ms: 4 },
    ),
    ev(
      "agent.tool_requested",
      {
        agentId: ada,
        agentName: "Ada",
        step: 0,
        content: "",
        calls: [{ id: "call_1", name: "web_search", args: { q: "friday deploys" }, key: "k".repeat(64) }],
        model: "m-1",
        usage,
      },
      { ms: 30, actor: agentActor(ada, "Ada") },
    ),
    ev(
      "tool.completed",
      {
        agentId: ada,
        step: 0,
        callId: "call_1",
        name: "web_search",
        key: "k".repeat(64),
        ok: true,
        result: { hits: 3 },
        durationMs: 17,
        replayed: false,
      },
      { ms: 50 },
    ),
    ev(
      "agent.replied",
      {
        agentId: ada,
        agentName: "Ada",
        purpose: "reply",
        content: "No: nobody is on call.",
        provider: "scripted",
        model: "m-1",
        latencyMs: 42,
        usage,
      },
      { ms: 92, actor: agentActor(ada, "Ada") },
    ),
    ev(
      "agent.failed",
      { agentId: bob, agentName: "Bob", error: "provider said no" },
      { ms: 95, actor: agentActor(bob, "Bob") },
    ),
    ev(
      "guard.triggered",
      { code: "repeat_guard", reason: "Bob said that already", agentId: bob },
      { ms: 96 },
    ),
    ev(
      "vote.opened",
      {
        voteId,
        question: "Should we ship on Friday?",
        options: [
          { choice: "Ada", agentId: ada, summary: "No: nobody is on call." },
          { choice: "Bob", agentId: bob, summary: "Yes" },
        ],
        voters: [
          { agentId: ada, agentName: "Ada", seat: 0 },
          { agentId: bob, agentName: "Bob", seat: 1 },
        ],
        rule: { kind: "majority" },
        quorum: { kind: "share", min: 0.5 },
        deadline: new Date(T0 + 60_100).toISOString(),
      },
      { ms: 100 },
    ),
    ev(
      "vote.cast",
      {
        voteId,
        agentId: ada,
        agentName: "Ada",
        choice: "Ada",
        confidence: 0.9,
        rationale: "on call matters",
      },
      { ms: 130 },
    ),
    ev(
      "vote.closed",
      {
        voteId,
        closedBy: "deadline",
        winner: "Ada",
        leader: "Ada",
        outcome: "reached:Ada",
        reason: "Ada has 1 of 1 ballots",
        choices: [{ choice: "Ada", count: 1, share: 1, meanConfidence: 0.9, voters: [ada] }],
        tieBreak: null,
        turnout: { eligible: 2, voted: 1, abstained: 0, missing: [bob] },
        quorum: { required: 1, met: true },
      },
      { ms: 60_100 },
    ),
    ev(
      "consensus.reached",
      { voteId, choice: "Ada", confidence: 1, rule: "majority", answer: "No: nobody is on call." },
      { ms: 60_101 },
    ),
    ev("turn.completed", { messageId, replyIds: [newEventId()], durationMs: 60_102 }, { ms: 60_102 }),
  ];
}

describe("the replay timeline", () => {
  it("reads a turn: time since it began, who, what, and the text under it", () => {
    const directory = createDirectory({
      people: [[person, "lin@example.com"]],
      agents: [
        [ada, "Ada"],
        [bob, "Bob"],
      ],
    });
    const lines = formatTimeline(debateTurn(), { style: plain, directory });
    const row = (type: string) => lines.find((l) => l.includes(` ${type} `)) ?? `<no ${type}>`;
    expect(lines[0]).toBe(`── turn ${turnId} · 2026-05-01T10:00:00.000Z ──`);
    expect(row("message.posted")).toMatch(
      /^#101 +\+0ms lin@example.com +message\.posted +Should we ship on Friday\?$/,
    );
    expect(row("turn.started")).toMatch(
      /\+4ms conclave +turn\.started +debate_vote · agents Ada, Bob · deadline \+119996 ms · message seq 101$/,
    );
    expect(lines[lines.indexOf(row("turn.started")) + 1]).toMatch(
      /│ memory: 12 earlier entries \(seq 3–90\) · no summary · blocks facts v2$/,
    );
    expect(row("agent.tool_requested")).toMatch(
      /\+30ms Ada +agent\.tool_requested +step 0 · asks for web_search · m-1 · 120 in \/ 8 out tokens$/,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/│ web_search\(\{"q":"friday deploys"\}\) {2}call call_1$/),
    );
    expect(row("tool.completed")).toMatch(/\+50ms Ada +tool\.completed +web_search ok · step 0 · 17 ms$/);
    expect(lines).toContainEqual(expect.stringMatching(/│ → \{"hits":3\}$/));
    expect(row("agent.replied")).toMatch(
      /\+92ms Ada +agent\.replied +“No: nobody is on call\.” · scripted\/m-1 · 120 in \/ 8 out tokens · latency 42 ms$/,
    );
    expect(row("agent.failed")).toMatch(/Bob +agent\.failed +failed: provider said no$/);
    expect(row("guard.triggered")).toMatch(/repeat_guard: Bob said that already · agent Bob$/);
    expect(row("vote.opened")).toMatch(
      /2 options · voters Ada, Bob · majority · quorum 50% of voters · closes \+60000 ms$/,
    );
    expect(row("vote.cast")).toMatch(/\+130ms Ada +vote\.cast +votes Ada \(confidence 90%\)$/);
    expect(row("vote.closed")).toMatch(
      /\+60100ms conclave +vote\.closed +winner Ada · reached:Ada · closed by its deadline · turnout 1\/2, missing Bob · quorum 1 met$/,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/│ Ada: 1 vote \(100%, mean confidence 90%\) from Ada$/),
    );
    expect(row("consensus.reached")).toMatch(/consensus on Ada · 100% of the votes · majority$/);
    expect(row("turn.completed")).toMatch(/completed · 1 answer · 60102 ms$/);
  });

  it("has a reading for every event type of the catalog, and a generic line for others", () => {
    const fixtures = debateTurn();
    const covered = new Set(fixtures.map((f) => (f.event as { type: string }).type));
    const more: ReplayedEvent[] = [
      ev("speaker.selected", {
        agentId: ada,
        agentName: "Ada",
        strategy: "round_robin",
        rule: "seat_order",
        reason: "round 1, seat 1",
        round: 1,
        askId: "a1",
      }),
      ev("tool.approval_requested", {
        agentId: ada,
        step: 1,
        callId: "c",
        name: "run_js",
        args: { code: "1+1" },
        key: "k".repeat(64),
      }),
      ev("tool.approved", { key: "k".repeat(64), reason: "fine" }, { actor: { kind: "user", id: person } }),
      ev("tool.denied", { key: "k".repeat(64) }, { actor: { kind: "user", id: person } }),
      ev("consensus.failed", {
        voteId,
        code: "tie",
        reason: "Ada and Bob tie",
        leader: "Ada",
        confidence: 0.5,
      }),
      ev("turn.cancel_requested", { reason: "enough" }, { actor: { kind: "user", id: person } }),
      ev("turn.failed", {
        messageId: newEventId(),
        reason: "timeout",
        detail: "120 s passed",
        replyIds: [],
        durationMs: 120_000,
      }),
      ev(
        "memory.updated",
        {
          label: "facts",
          action: "set",
          oldDigest: null,
          newDigest: "d",
          value: "Lin likes tea",
          limit: 2000,
          version: 1,
        },
        { turn: null, actor: { kind: "user", id: person } },
      ),
      ev("memory.reset", { reason: "fresh start" }, { turn: null }),
      ev(
        "agent.replied",
        {
          agentId: bob,
          agentName: "Bob",
          purpose: "ballot",
          content: '{"choice":"Ada"}',
          provider: "p",
          model: "m",
          latencyMs: 3,
        },
        { turn: null },
      ),
      ev(
        "memory.summarized",
        {
          fromSeq: 1,
          upToSeq: 90,
          summary: "They argued about Fridays.",
          tokens: 7,
          previousId: null,
          agentId: ada,
          provider: "scripted",
          model: "m-1",
          usage,
        },
        { turn: null },
      ),
      ev(
        "budget.exceeded",
        {
          budgetId: voteId,
          scope: "account",
          scopeId: person,
          unit: "tokens",
          period: "day",
          periodStart: "2026-05-01",
          cap: 1000,
          spent: 900,
          reserved: 50,
          agentId: ada,
          agentName: "Ada",
          workId: newEventId(),
          requested: 120,
        },
        { actor: agentActor(ada, "Ada") },
      ),
      ev("budget.warning", {
        budgetId: voteId,
        scope: "group",
        scopeId: groupId,
        unit: "money",
        period: "month",
        periodStart: "2026-05-01",
        cap: 10,
        spent: 8.5,
        reserved: 0,
        currency: "USD",
        warnAt: 0.8,
      }),
    ];
    for (const m of more) covered.add((m.event as { type: string }).type);
    expect([...covered].sort()).toEqual([...CONV_EVENT_TYPES].sort());
    const lines = formatTimeline(more, { style: plain, directory: createDirectory() });
    const text = lines.join("\n");
    expect(text).toMatch(/conclave +speaker\.selected +→ Ada · rule seat_order · round 1 · round 1, seat 1/);
    expect(text).toMatch(/tool\.approval_requested +run_js waits for a person's approval/);
    expect(text).toMatch(/consensus\.failed +no consensus: tie · Ada and Bob tie · leader Ada with 50%/);
    expect(text).toMatch(/turn\.failed +failed: timeout · 120 s passed · 120000 ms/);
    expect(text).toMatch(
      /Ada +budget\.exceeded +refused by the account tokens budget \(day from 2026-05-01\) · asked 120 tokens with 900 tokens spent and 50 tokens reserved of 1,000 tokens/,
    );
    expect(text).toMatch(
      /budget\.warning +group money budget past 80% \(month from 2026-05-01\) · 8\.5000 USD spent of 10\.0000 USD/,
    );
    // Outside a turn: the clock time, and people without a known name by their id's end.
    expect(text).toMatch(
      new RegExp(`#\\d+ +10:00:00\\.000 user ${person.slice(-8)} +memory\\.updated +set block facts → v1`),
    );
    expect(text).toMatch(/│ Lin likes tea/);
    expect(text).toMatch(/Bob +agent\.replied +ballot \{"choice":"Ada"\} · p\/m · latency 3 ms/);
    expect(text).toMatch(/memory\.summarized +summary of seq 1–90 · 7 tokens · scripted\/m-1/);

    const odd = formatTimeline(
      [
        {
          seq: 1,
          event: {
            type: "agent.dreamed",
            at: new Date(T0).toISOString(),
            actor: SYSTEM,
            payload: { about: "sheep" },
          },
        },
        // A known type whose payload fails its schema reads generically too, never throws.
        { seq: 2, event: { type: "vote.cast", actor: SYSTEM, payload: { choice: 3 } } },
      ],
      { style: plain },
    );
    expect(odd[0]).toMatch(
      /^#1 +10:00:00\.000 conclave +agent\.dreamed +\(unknown to this CLI\) \{"about":"sheep"\}$/,
    );
    expect(odd[1]).toMatch(/^#2 +conclave +vote\.cast +\(unknown to this CLI\) \{"choice":3\}$/);
  });

  it("colours only when asked, and puts long text under its event", () => {
    const long = ev(
      "agent.replied",
      {
        agentId: bob,
        agentName: "Bob",
        content: "line one\nline two",
        provider: "p",
        model: "m",
        latencyMs: 1,
      },
      { actor: agentActor(bob, "Bob") },
    );
    const coloured = formatTimeline([long], { style: createStyle(true) });
    expect(coloured.join("\n")).toContain("\u001b[");
    const lines = coloured.map(stripAnsi);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/\+0ms Bob +agent\.replied +p\/m · latency 1 ms$/),
      expect.stringMatching(/^ +│ line one$/),
      expect.stringMatching(/^ +│ line two$/),
    ]);
    expect(formatTimeline([long], { style: plain }).join("\n")).not.toContain("\u001b[");
  });
});
