import {
  type ConversationMessage,
  deriveEventId,
  type Envelope,
  makeEnvelope,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import type { Active, Decision, GroupState } from "./state.js";

/** Tool results longer than this reach the model cut, with a note: the turn state must stay small. */
export const TOOL_RESULT_MAX_CHARS = 16_000;

/** Whether the agent is being asked something now (its tool loop belongs to that ask). */
function agentInTurn(active: Active, agentId: string): boolean {
  return active.current[agentId] !== undefined;
}

/**
 * The agent's model asked for tools: one `work.tool` per call. Past `maxSteps` rounds the agent
 * fails instead (a loop that never answers must not hold the turn): `failed` is that failure, for
 * the caller to settle like any other. Null: stale or repeated.
 */
export function requestTools(
  state: GroupState,
  e: Envelope<"agent.tool_requested">,
  now: Date,
  maxSteps: number,
): (Decision & { failed?: Envelope<"agent.failed"> }) | null {
  const active = state.active;
  if (!active || active.turnId !== e.turnId || !agentInTurn(active, e.payload.agentId)) return null;
  const { agentId, step } = e.payload;
  const current = active.current[agentId];
  if (!current || (e.payload.askId !== undefined && e.payload.askId !== current.askId)) return null;
  const loop = active.loops[agentId];
  // Step n's request arrives once, after step n-1's results; anything else is a redelivery or a replay.
  if (step !== (loop ? loop.step + 1 : 0) || (loop && Object.keys(loop.pending).length > 0)) return null;
  const agent = active.snapshots[agentId];
  if (!agent) return null;
  if (step >= maxSteps) {
    const failed = makeEnvelope({
      id: deriveEventId(e.id, "tool-step-limit"),
      type: "agent.failed",
      groupId: state.groupId,
      turnId: active.turnId,
      causationId: e.id,
      actor: SYSTEM_ACTOR,
      at: now.toISOString(),
      payload: {
        agentId,
        askId: current.askId,
        agentName: e.payload.agentName,
        error: `tool step limit (${maxSteps}) reached`,
      },
    });
    return { state, emit: [failed], failed };
  }
  // The first request of a loop starts from what the ask's work item had.
  const before: ConversationMessage[] | undefined = loop?.messages ?? current.messages;
  if (!before) return null;
  const asked: ConversationMessage = {
    role: "assistant",
    content: e.payload.content,
    toolCalls: e.payload.calls.map(({ key: _key, ...call }) => call),
  };
  const nextLoop = {
    step,
    messages: [...before, asked],
    pending: Object.fromEntries(
      e.payload.calls.map((c) => [c.id, { name: c.name, key: c.key, args: c.args, awaiting: false }]),
    ),
    results: [],
  };
  const work = e.payload.calls.map((call) =>
    makeEnvelope({
      id: deriveEventId(active.turnId, `work.tool:${call.key}`),
      type: "work.tool",
      groupId: state.groupId,
      turnId: active.turnId,
      causationId: e.id,
      actor: { kind: "agent", id: agentId, name: agent.name },
      at: now.toISOString(),
      payload: { agent, step, call: { id: call.id, name: call.name, args: call.args }, key: call.key },
    }),
  );
  return {
    state: { ...state, active: { ...active, loops: { ...active.loops, [agentId]: nextLoop } } },
    emit: work,
  };
}

function asContent(e: Envelope<"tool.completed">): string {
  const text = e.payload.ok
    ? JSON.stringify(e.payload.result ?? null)
    : `error (${e.payload.error?.code ?? "failed"}): ${e.payload.error?.message ?? ""}`;
  return text.length <= TOOL_RESULT_MAX_CHARS
    ? text
    : `${text.slice(0, TOOL_RESULT_MAX_CHARS)}… [cut: ${text.length} characters in all]`;
}

/** A tool call finished: once every call of the step has, the agent's model gets the results. Null: stale. */
export function completeTool(state: GroupState, e: Envelope<"tool.completed">, now: Date): Decision | null {
  const active = state.active;
  if (!active || active.turnId !== e.turnId || !agentInTurn(active, e.payload.agentId)) return null;
  const loop = active.loops[e.payload.agentId];
  const call = loop?.pending[e.payload.callId];
  if (!loop || loop.step !== e.payload.step || !call || call.key !== e.payload.key) return null;
  return addResult(
    state,
    active,
    e.payload.agentId,
    e.payload.callId,
    asContent(e),
    !e.payload.ok,
    e.id,
    now,
  );
}

/** Finds the waiting call a decision is about, by its key. */
function findCall(active: Active, key: string) {
  for (const [agentId, loop] of Object.entries(active.loops)) {
    for (const [callId, call] of Object.entries(loop.pending)) {
      if (call.key === key && !loop.results.some((r) => r.role === "tool" && r.toolCallId === callId))
        return { agentId, callId, call, loop };
    }
  }
  return undefined;
}

/** The executor holds a call for a person's approval: remember that it waits. Null: stale. */
export function awaitApproval(state: GroupState, e: Envelope<"tool.approval_requested">): Decision | null {
  const active = state.active;
  if (!active || active.turnId !== e.turnId) return null;
  const found = findCall(active, e.payload.key);
  if (!found || found.call.awaiting) return null;
  const pending = { ...found.loop.pending, [found.callId]: { ...found.call, awaiting: true } };
  return {
    state: {
      ...state,
      active: { ...active, loops: { ...active.loops, [found.agentId]: { ...found.loop, pending } } },
    },
    emit: [],
  };
}

/**
 * A person approved or denied a waiting call: an approved one goes back to the executor marked
 * approved; a denied one answers the model with the refusal. Null: no such waiting call (stale,
 * repeated, or decided already).
 */
export function decideTool(
  state: GroupState,
  e: Envelope<"tool.approved"> | Envelope<"tool.denied">,
  now: Date,
): Decision | null {
  const active = state.active;
  if (!active || active.turnId !== e.turnId) return null;
  const found = findCall(active, e.payload.key);
  if (!found?.call.awaiting || !agentInTurn(active, found.agentId)) return null;
  const agent = active.snapshots[found.agentId];
  if (!agent) return null;
  if (e.type === "tool.denied") {
    const why = e.payload.reason ? `: ${e.payload.reason}` : "";
    return addResult(
      state,
      active,
      found.agentId,
      found.callId,
      `error (forbidden): a person denied this call${why}`,
      true,
      e.id,
      now,
    );
  }
  const pending = { ...found.loop.pending, [found.callId]: { ...found.call, awaiting: false } };
  const work = makeEnvelope({
    id: deriveEventId(active.turnId, `work.tool:${found.call.key}:approved`),
    type: "work.tool",
    groupId: state.groupId,
    turnId: active.turnId,
    causationId: e.id,
    actor: { kind: "agent", id: found.agentId, name: agent.name },
    at: now.toISOString(),
    payload: {
      agent,
      step: found.loop.step,
      call: { id: found.callId, name: found.call.name, args: found.call.args },
      key: found.call.key,
      approved: true,
    },
  });
  return {
    state: {
      ...state,
      active: { ...active, loops: { ...active.loops, [found.agentId]: { ...found.loop, pending } } },
    },
    emit: [work],
  };
}

/** Adds one tool result; once the step's calls all have one, the model gets them (next `work.llm`). */
function addResult(
  state: GroupState,
  active: Active,
  agentId: string,
  callId: string,
  content: string,
  isError: boolean,
  causationId: string,
  now: Date,
): Decision | null {
  const loop = active.loops[agentId];
  const call = loop?.pending[callId];
  if (!loop || !call) return null;
  if (loop.results.some((r) => r.role === "tool" && r.toolCallId === callId)) return null;
  const result: ConversationMessage = {
    role: "tool",
    toolCallId: callId,
    toolName: call.name,
    content,
    ...(isError ? { isError: true } : {}),
  };
  const results = [...loop.results, result];
  const step = loop.step;
  const done = Object.keys(loop.pending).every((id) =>
    results.some((r) => r.role === "tool" && r.toolCallId === id),
  );
  if (!done)
    return {
      state: { ...state, active: { ...active, loops: { ...active.loops, [agentId]: { ...loop, results } } } },
      emit: [],
    };
  const agent = active.snapshots[agentId];
  const current = active.current[agentId];
  if (!agent || !current) return null;
  const messages = [...loop.messages, ...results];
  const next = makeEnvelope({
    id: deriveEventId(active.turnId, `work.llm:${current.askId}:${step + 1}`),
    type: "work.llm",
    groupId: state.groupId,
    turnId: active.turnId,
    causationId,
    actor: { kind: "agent", id: agentId, name: agent.name },
    at: now.toISOString(),
    payload: {
      // The memory extended the first call's system prompt: every later step is sent the same.
      agent: current.systemPrompt === undefined ? agent : { ...agent, systemPrompt: current.systemPrompt },
      turnIndex: active.turnIndex,
      step: step + 1,
      messages,
      ask: { id: current.askId, purpose: current.purpose, index: current.index },
    },
  });
  const loops = { ...active.loops, [agentId]: { step, messages, pending: {}, results: [] } };
  return { state: { ...state, active: { ...active, loops } }, emit: [next] };
}
