import { type Envelope, makeEnvelope, newEventId } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { emptyState, type GroupState } from "./state.js";
import { memoryTurns, postedMessage, scriptedAgent } from "./testing.js";

const { startTurn, settleAgent } = memoryTurns();

import { awaitApproval, completeTool, decideTool, requestTools, TOOL_RESULT_MAX_CHARS } from "./tool-loop.js";

const groupId = newEventId();
const t0 = new Date("2026-01-01T00:00:00Z");
const ada = scriptedAgent("Ada", {}, ["calculator"]);

async function started(): Promise<GroupState> {
  const m = postedMessage(groupId, "what is 6*7?");
  return (await startTurn(emptyState(groupId), m, 1, [ada], t0, 60_000)).state;
}

const turnOf = (s: GroupState) => s.active?.turnId ?? null;
const ask = (
  s: GroupState,
  step: number,
  calls: { id: string; args: Record<string, unknown> }[],
): Envelope<"agent.tool_requested"> =>
  makeEnvelope({
    id: newEventId(),
    type: "agent.tool_requested",
    groupId,
    turnId: turnOf(s),
    causationId: null,
    actor: { kind: "agent", id: ada.id },
    payload: {
      agentId: ada.id,
      agentName: "Ada",
      step,
      content: "let me compute",
      calls: calls.map((c) => ({ ...c, name: "calculator", key: `k-${step}-${c.id}` })),
    },
  });
const done = (
  s: GroupState,
  step: number,
  callId: string,
  result: unknown,
  ok = true,
): Envelope<"tool.completed"> =>
  makeEnvelope({
    id: newEventId(),
    type: "tool.completed",
    groupId,
    turnId: turnOf(s),
    causationId: null,
    actor: { kind: "agent", id: ada.id },
    payload: {
      agentId: ada.id,
      step,
      callId,
      name: "calculator",
      key: `k-${step}-${callId}`,
      ok,
      durationMs: 1,
      replayed: false,
      ...(ok ? { result } : { error: { code: "validation", message: "bad" } }),
    },
  });

describe("tool loop", () => {
  it("sends one work.tool per call, then the results back to the model once all are in", async () => {
    const s0 = await started();
    const d1 = requestTools(
      s0,
      ask(s0, 0, [
        { id: "a", args: { expression: "6*7" } },
        { id: "b", args: { expression: "1+1" } },
      ]),
      t0,
      8,
    );
    expect(d1?.emit.map((e) => e.type)).toEqual(["work.tool", "work.tool"]);
    const first = completeTool(d1?.state as GroupState, done(s0, 0, "a", 42), t0);
    expect(first?.emit).toEqual([]);
    const second = completeTool(first?.state as GroupState, done(s0, 0, "b", 2, false), t0);
    const next = second?.emit[0];
    expect(next?.type).toBe("work.llm");
    if (next?.type === "work.llm") {
      expect(next.payload.step).toBe(1);
      expect(next.payload.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "tool"]);
      expect(next.payload.messages[2]).toMatchObject({ role: "tool", toolCallId: "a", content: "42" });
      expect(next.payload.messages[3]).toMatchObject({ role: "tool", toolCallId: "b", isError: true });
    }
  });

  it("ignores a repeated request, a repeated result and a result for an unknown call", async () => {
    const s0 = await started();
    const req = ask(s0, 0, [{ id: "a", args: {} }]);
    const d1 = requestTools(s0, req, t0, 8)?.state as GroupState;
    expect(requestTools(d1, req, t0, 8)).toBeNull();
    const r = done(s0, 0, "a", 1);
    const d2 = completeTool(d1, r, t0)?.state as GroupState;
    expect(completeTool(d2, r, t0)).toBeNull();
    expect(completeTool(d1, done(s0, 0, "zzz", 1), t0)).toBeNull();
  });

  it("fails the agent past the step limit, and the turn with it", async () => {
    let s = await started();
    for (let step = 0; step < 2; step++) {
      s = requestTools(s, ask(s, step, [{ id: `c${step}`, args: {} }]), t0, 2)?.state as GroupState;
      s = completeTool(s, done(s, step, `c${step}`, 1), t0)?.state as GroupState;
    }
    const over = requestTools(s, ask(s, 2, [{ id: "c2", args: {} }]), t0, 2);
    expect(over?.emit.map((e) => e.type)).toEqual(["agent.failed"]);
    expect(over?.failed?.payload.error).toBe("tool step limit (2) reached");
    // The engine settles that failure like any other: the broadcast's only agent failed, so the turn does.
    const settled = await settleAgent(
      over?.state as GroupState,
      over?.failed as Envelope<"agent.failed">,
      t0,
    );
    expect(settled?.emit.map((e) => e.type)).toEqual(["turn.failed"]);
    expect(settled?.state.active).toBeNull();
  });

  it("cuts a long tool result before it reaches the model", async () => {
    const s0 = await started();
    const d1 = requestTools(s0, ask(s0, 0, [{ id: "a", args: {} }]), t0, 8)?.state as GroupState;
    const next = completeTool(d1, done(s0, 0, "a", "x".repeat(TOOL_RESULT_MAX_CHARS * 2)), t0)?.emit[0];
    const content = next?.type === "work.llm" ? (next.payload.messages.at(-1)?.content ?? "") : "";
    expect(content.length).toBeLessThan(TOOL_RESULT_MAX_CHARS + 100);
    expect(content).toMatch(/cut/);
  });

  it("ignores tool traffic of an agent that already answered", async () => {
    const s0 = await started();
    const replied = makeEnvelope({
      id: newEventId(),
      type: "agent.replied",
      groupId,
      turnId: turnOf(s0),
      causationId: null,
      actor: { kind: "agent", id: ada.id },
      payload: {
        agentId: ada.id,
        agentName: "Ada",
        content: "42",
        provider: "scripted",
        model: "m",
        latencyMs: 1,
      },
    });
    const after = await settleAgent(s0, replied, t0);
    expect(after?.state.active).toBeNull();
    expect(requestTools(after?.state as GroupState, ask(s0, 0, [{ id: "a", args: {} }]), t0, 8)).toBeNull();
  });

  it("sends an approved call back marked approved, and answers a denied one with the refusal", async () => {
    const s0 = await started();
    const s1 = requestTools(s0, ask(s0, 0, [{ id: "a", args: { expression: "1" } }]), t0, 8)
      ?.state as GroupState;
    const key = "k-0-a";
    const env = <T extends "tool.approval_requested" | "tool.approved" | "tool.denied">(
      type: T,
      payload: object,
    ) =>
      makeEnvelope({
        id: newEventId(),
        type,
        groupId,
        turnId: turnOf(s0),
        causationId: null,
        actor: { kind: "user", id: "u" },
        payload,
      } as Parameters<typeof makeEnvelope<T>>[0]);
    // A decision about a call that does not wait yet changes nothing.
    expect(decideTool(s1, env("tool.approved", { key }), t0)).toBeNull();
    const waiting = awaitApproval(
      s1,
      env("tool.approval_requested", {
        agentId: ada.id,
        step: 0,
        callId: "a",
        name: "calculator",
        args: { expression: "1" },
        key,
      }),
    )?.state as GroupState;
    const approved = decideTool(waiting, env("tool.approved", { key }), t0);
    const work = approved?.emit[0];
    expect(work?.type === "work.tool" && work.payload).toMatchObject({
      approved: true,
      key,
      call: { id: "a", args: { expression: "1" } },
    });
    expect(decideTool(approved?.state as GroupState, env("tool.denied", { key }), t0)).toBeNull();
    const denied = decideTool(waiting, env("tool.denied", { key, reason: "no" }), t0);
    const next = denied?.emit[0];
    expect(next?.type).toBe("work.llm");
    if (next?.type === "work.llm")
      expect(next.payload.messages.at(-1)).toMatchObject({
        role: "tool",
        isError: true,
        content: expect.stringMatching(/denied this call: no/),
      });
  });

  it("keeps the turn's context (the group's files) in front of the conversation after a tool step", async () => {
    const id = newEventId();
    const m = makeEnvelope({
      id,
      type: "message.posted",
      groupId,
      turnId: newEventId(),
      causationId: null,
      actor: { kind: "user", id: "u" },
      payload: { messageId: id, content: "sum the sales" },
    });
    const context = [{ role: "user" as const, content: "Files in this group: f1 sales.csv: 3 rows" }];
    const s0 = (await startTurn(emptyState(groupId), m, 1, [ada], t0, 60_000, context)).state;
    const s1 = requestTools(s0, ask(s0, 0, [{ id: "a", args: {} }]), t0, 8)?.state as GroupState;
    const next = completeTool(s1, done(s0, 0, "a", 1), t0)?.emit[0];
    expect(next?.type === "work.llm" && next.payload.messages.map((x) => x.content)).toEqual([
      "Files in this group: f1 sales.csv: 3 rows",
      "sum the sales",
      "let me compute",
      "1",
    ]);
  });
});
