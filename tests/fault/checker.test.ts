import { describe, expect, it } from "vitest";
import {
  type CheckInput,
  checkInvariants,
  type EventLite,
  formatTable,
  type StreamEntry,
} from "./checker.js";

const G = "g1";
const at = <T>(items: T[] | undefined, i: number): T => {
  const v = items?.[i];
  if (v === undefined) throw new Error(`no item ${i}`);
  return v;
};
let n = 0;
const ev = (type: string, turnId: string, payload: Record<string, unknown> = {}): EventLite => ({
  id: `e${++n}`,
  type,
  groupId: G,
  turnId,
  payload,
});

/** Two turns of one agent each, in order, seen by one socket, all recorded. */
function healthy(): CheckInput {
  n = 0;
  const events = [
    ev("message.posted", "t1", { messageId: "m1" }),
    ev("turn.started", "t1", { messageSeq: 1 }),
    ev("agent.replied", "t1", { agentId: "a", askId: "k1", usage: { inputTokens: 3, outputTokens: 4 } }),
    ev("turn.completed", "t1"),
    ev("message.posted", "t2", { messageId: "m2" }),
    ev("turn.started", "t2", { messageSeq: 5 }),
    ev("agent.replied", "t2", { agentId: "a", askId: "k2" }),
    ev("turn.completed", "t2"),
  ];
  // The posted messages' event ids are their message ids.
  (events[0] as EventLite).id = "m1";
  (events[4] as EventLite).id = "m2";
  const stream: StreamEntry[] = events.map((event, i) => ({ seq: i + 1, storedAtMs: 1000 + i * 10, event }));
  return {
    groups: [G],
    accepted: [
      { groupId: G, messageId: "m1", turnId: "t1", seq: 1 },
      { groupId: G, messageId: "m2", turnId: "t2", seq: 5 },
    ],
    stream: { [G]: stream },
    db: {
      events: stream.map((s) => ({ ...(s.event as EventLite), seq: s.seq })),
      messages: events
        .filter((e) => e.type === "message.posted" || e.type === "agent.replied")
        .map((e) => ({ id: e.id, groupId: G, type: e.type })),
      turns: [
        { id: "t1", groupId: G, status: "completed" },
        { id: "t2", groupId: G, status: "completed" },
      ],
      votes: [],
      ballots: [],
    },
    api: {
      turns: [
        { turnId: "t1", status: "completed" },
        { turnId: "t2", status: "completed" },
      ],
      history: [{ groupId: G, ids: ["m1", events[2]?.id ?? "", "m2", events[6]?.id ?? ""] }],
    },
    sockets: [
      {
        name: "s1",
        subscriptions: [{ groupId: G, afterSeq: 0, subscribedAtMs: 900 }],
        received: stream.map((s) => ({
          groupId: G,
          seq: s.seq,
          eventId: s.event?.id ?? "",
          atMs: s.storedAtMs + 5,
        })),
      },
    ],
    stallBoundMs: 1000,
  };
}

describe("the fault suite's checker", () => {
  it("finds nothing wrong in a healthy run", () => {
    const r = checkInvariants(healthy());
    expect(r).toMatchObject({ accepted: 2, outcomes: 2, lost: 0, duplicated: 0, stalls: 0, violations: [] });
    expect(r.maxLagMs).toBe(5);
  });

  it("counts an accepted message without outcome as lost", () => {
    const input = healthy();
    input.stream[G] = (input.stream[G] ?? []).filter((s) => s.seq !== 8);
    input.db.events = input.db.events.filter((e) => e.seq !== 8);
    at(input.sockets, 0).received = at(input.sockets, 0).received.filter((r) => r.seq !== 8);
    const r = checkInvariants(input);
    expect(r.lost).toBe(1);
    expect(r.outcomes).toBe(1);
    expect(r.violations.join("\n")).toContain("accepted without outcome: turn t2");
  });

  it("counts an accepted message missing from the stream as lost", () => {
    const input = healthy();
    input.accepted.push({ groupId: G, messageId: "m9", turnId: "t9", seq: 99 });
    expect(checkInvariants(input).violations).toEqual([
      "accepted but not in the stream: message m9 (turn t9)",
    ]);
  });

  it("finds a second outcome, a fact under two ids, and a reply recorded twice", () => {
    const input = healthy();
    const stream = input.stream[G] ?? [];
    const again = { ...(stream[3]?.event as EventLite), id: "dup-end", type: "turn.failed" };
    const reply = { ...(stream[2]?.event as EventLite), id: "dup-reply" };
    stream.push({ seq: 9, storedAtMs: 2000, event: again }, { seq: 10, storedAtMs: 2001, event: reply });
    input.db.events.push({ ...again, seq: 9 }, { ...reply, seq: 10 });
    input.db.messages.push({ id: "dup-reply", groupId: G, type: "agent.replied" });
    const r = checkInvariants(input);
    expect(r.duplicated).toBeGreaterThanOrEqual(3);
    const text = r.violations.join("\n");
    expect(text).toContain("more than one outcome: turn t1");
    expect(text).toContain("the same fact under several ids: agent.answer|t1|a|k1");
    expect(text).toContain("usage counted twice");
  });

  it("finds overlapping turns and turns out of acceptance order", () => {
    const input = healthy();
    const stream = input.stream[G] ?? [];
    // t2 starts before t1 ended.
    at(stream, 3).seq = 6; // t1's end
    at(stream, 4).seq = 4;
    at(stream, 5).seq = 5; // t2's start
    input.stream[G] = [...stream].sort((a, b) => a.seq - b.seq);
    expect(checkInvariants(input).violations.join("\n")).toContain(
      "turns overlap: group g1: t2 started at seq 5",
    );

    const swapped = healthy();
    const s = swapped.stream[G] ?? [];
    // t2's message was accepted before t1's, yet t1 started first.
    at(s, 0).seq = 6;
    at(s, 4).seq = 1;
    expect(checkInvariants(swapped).violations.join("\n")).toContain("turns out of acceptance order");
  });

  it("finds an event not recorded and a projection row missing or twice", () => {
    const input = healthy();
    input.db.events = input.db.events.filter((e) => e.seq !== 3);
    input.db.messages.push({ id: "m1", groupId: G, type: "message.posted" });
    at(input.db.turns, 1).status = "running";
    const text = checkInvariants(input).violations.join("\n");
    expect(text).toContain("event not recorded: e3");
    expect(text).toContain("message row twice: m1 ×2");
    expect(text).toContain("turn row disagrees with its outcome: t2");
  });

  it("checks the API's turn status and history", () => {
    const input = healthy();
    at(input.api.turns, 0).status = "running";
    at(input.api.history, 0).ids = ["m1", "m1"];
    const r = checkInvariants(input);
    const text = r.violations.join("\n");
    expect(text).toContain("API turn status: t1: running");
    expect(text).toContain("API history lists a message twice");
    expect(text).toContain("API history misses messages");
  });

  it("finds a socket that missed, repeated, reordered or stalled events", () => {
    const input = healthy();
    const got = at(input.sockets, 0).received;
    got.splice(2, 1); // seq 3 missed
    got.push({ ...at(got, 0) }); // seq 1 again, late
    at(got, 3).atMs += 5000; // seq 5 stalled, and 6 right behind it
    at(got, 4).atMs += 5000;
    const r = checkInvariants(input);
    expect(r.lost).toBe(1);
    expect(r.duplicated).toBe(1);
    expect(r.stalls).toBe(1);
    expect(r.maxLagMs).toBeGreaterThan(5000);
    const text = r.violations.join("\n");
    expect(text).toContain("socket missed events: s1 on g1: 1 (first seq 3, agent.replied)");
    expect(text).toContain("socket out of order or twice: s1 on g1: seq 1 after 8");
    expect(text).toContain("socket stalled: s1 on g1: seq 5");
  });

  it("skips invalid stream entries (poison) in what a socket must see, and measures lag from the subscription", () => {
    const input = healthy();
    input.stream[G]?.push({ seq: 9, storedAtMs: 1100 });
    at(at(input.sockets, 0).subscriptions, 0).subscribedAtMs = 5000;
    for (const r of at(input.sockets, 0).received) r.atMs = 5100;
    expect(checkInvariants(input)).toMatchObject({ lost: 0, stalls: 0, violations: [], maxLagMs: 100 });
  });

  it("prints the table", () => {
    const table = formatTable([
      {
        case: "kill -9 executor",
        accepted: 12,
        outcomes: 12,
        lost: 0,
        duplicated: 0,
        stalls: 0,
        recoveryMs: 2345,
        maxLagMs: 120,
        durationMs: 15000,
        violations: 0,
      },
    ]);
    expect(table.split("\n")[2]).toBe(
      "| kill -9 executor | 12 | 12 | 0 | 0 | 0 | 2.3 s | 0.1 s | 15.0 s | 0 |",
    );
  });
});
