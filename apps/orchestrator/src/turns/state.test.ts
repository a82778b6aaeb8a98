import { type AgentSnapshot, makeEnvelope, newEventId } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { emptyState, type GroupState, RECENT_LIMIT, timeOutTurn } from "./state.js";
import { memoryTurns, postedMessage, scriptedAgent } from "./testing.js";

const { startTurn, settleAgent } = memoryTurns();

const groupId = newEventId();
const t0 = new Date("2026-01-01T00:00:00Z");
const later = (ms: number) => new Date(t0.getTime() + ms);

const agent = (name: string) => scriptedAgent(name);
const posted = (content = "hi") => postedMessage(groupId, content);
const reply = (state: GroupState, a: AgentSnapshot, ok = true) => {
  const turnId = state.active?.turnId ?? null;
  const base = {
    id: newEventId(),
    groupId,
    turnId,
    causationId: null,
    actor: { kind: "agent" as const, id: a.id },
  };
  return ok
    ? makeEnvelope({
        ...base,
        type: "agent.replied",
        payload: {
          agentId: a.id,
          agentName: a.name,
          content: "ok",
          provider: "scripted",
          model: "m",
          latencyMs: 1,
        },
      })
    : makeEnvelope({
        ...base,
        type: "agent.failed",
        payload: { agentId: a.id, agentName: a.name, error: "boom" },
      });
};

describe("turn state", () => {
  const ada = agent("Ada");
  const grace = agent("Grace");

  it("starts a broadcast turn: turn.started, one work item per agent, and a deadline timer", async () => {
    const m = posted("hello");
    const d = await startTurn(emptyState(groupId), m, 7, [ada, grace], t0, 1000);
    expect(d.emit.map((e) => e.type)).toEqual(["turn.started", "work.timer", "work.llm", "work.llm"]);
    expect(d.state.active?.turnId).toBe(m.turnId);
    expect(d.state.active?.messageSeq).toBe(7);
    const timer = d.emit[1];
    expect(timer?.type === "work.timer" && timer.payload.dueAt).toBe(later(1000).toISOString());
    // Deterministic ids: deciding again gives the same events, so a re-publish is deduplicated.
    expect(
      (await startTurn(emptyState(groupId), m, 7, [ada, grace], t0, 1000)).emit.map((e) => e.id),
    ).toEqual(d.emit.map((e) => e.id));
  });

  it("completes when every agent has answered, and moves the cursor", async () => {
    const s1 = (await startTurn(emptyState(groupId), posted(), 7, [ada, grace], t0, 1000)).state;
    const s2 = await settleAgent(s1, reply(s1, ada), later(10));
    expect(s2?.emit).toEqual([]);
    const s3 = await settleAgent(s2?.state as GroupState, reply(s1, grace), later(20));
    expect(s3?.emit.map((e) => e.type)).toEqual(["turn.completed"]);
    expect(s3?.state).toMatchObject({ active: null, cursor: 7, turnsRun: 1 });
    const done = s3?.emit[0];
    expect(done?.type === "turn.completed" && done.payload.durationMs).toBe(20);
  });

  it("ignores a duplicate answer, an answer of another turn, and an agent not in the turn", async () => {
    const s1 = (await startTurn(emptyState(groupId), posted(), 1, [ada, grace], t0, 1000)).state;
    const first = reply(s1, ada);
    const s2 = (await settleAgent(s1, first, t0))?.state as GroupState;
    expect(await settleAgent(s2, first, t0)).toBeNull();
    expect(await settleAgent(s2, { ...reply(s1, grace), turnId: newEventId() }, t0)).toBeNull();
    expect(await settleAgent(s2, reply(s1, agent("Stranger")), t0)).toBeNull();
  });

  it("fails the turn when an agent failed, naming it", async () => {
    const s1 = (await startTurn(emptyState(groupId), posted(), 1, [ada, grace], t0, 1000)).state;
    const s2 = (await settleAgent(s1, reply(s1, ada, false), t0))?.state as GroupState;
    const end = await settleAgent(s2, reply(s1, grace), t0);
    const e = end?.emit[0];
    expect(e?.type).toBe("turn.failed");
    if (e?.type === "turn.failed") {
      expect(e.payload.reason).toBe("agent_failed");
      expect(e.payload.detail).toContain("Ada: boom");
      expect(e.payload.replyIds).toHaveLength(1);
    }
  });

  it("fails the turn with budget when a budget refused one of its calls", async () => {
    const s1 = (await startTurn(emptyState(groupId), posted(), 1, [ada, grace], t0, 1000)).state;
    const failed = reply(s1, ada, false);
    if (failed.type !== "agent.failed") throw new Error("a failure expected");
    const refused = { ...failed, payload: { ...failed.payload, reason: "budget" as const } };
    const s2 = (await settleAgent(s1, refused, t0))?.state as GroupState;
    const e = (await settleAgent(s2, reply(s1, grace), t0))?.emit[0];
    expect(e?.type === "turn.failed" && e.payload.reason).toBe("budget");
  });

  it("times out a running turn once, and only that turn", async () => {
    const s1 = (await startTurn(emptyState(groupId), posted(), 3, [ada, grace], t0, 1000)).state;
    expect(timeOutTurn(s1, newEventId(), later(2000))).toBeNull();
    const d = timeOutTurn(s1, s1.active?.turnId as string, later(2000));
    const e = d?.emit[0];
    expect(e?.type === "turn.failed" && e.payload.reason).toBe("timeout");
    expect(e?.type === "turn.failed" && e.payload.detail).toBe("no answer from Ada, Grace");
    expect(d?.state.cursor).toBe(3);
    expect(timeOutTurn(d?.state as GroupState, s1.active?.turnId as string, later(3000))).toBeNull();
  });

  it("gives a turn's completion and its failure the same id, so only one can be stored", async () => {
    const s1 = (await startTurn(emptyState(groupId), posted(), 1, [ada], t0, 1000)).state;
    const completed = (await settleAgent(s1, reply(s1, ada), t0))?.emit[0];
    const failed = timeOutTurn(s1, s1.active?.turnId as string, t0)?.emit[0];
    expect(completed?.type).toBe("turn.completed");
    expect(failed?.type).toBe("turn.failed");
    expect(completed?.id).toBe(failed?.id);
  });

  it("completes a turn with no agents at once", async () => {
    const d = await startTurn(emptyState(groupId), posted(), 5, [], t0, 1000);
    expect(d.emit.map((e) => e.type)).toEqual(["turn.started", "work.timer", "turn.completed"]);
    expect(d.state).toMatchObject({ active: null, cursor: 5 });
  });

  it("remembers a bounded number of recent message ids", async () => {
    let state = emptyState(groupId);
    for (let i = 0; i < RECENT_LIMIT + 10; i++)
      state = (await startTurn({ ...state, active: null }, posted(), i + 1, [], t0, 1000)).state;
    expect(state.recent).toHaveLength(RECENT_LIMIT);
  });
});
