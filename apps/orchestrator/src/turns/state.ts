import {
  AgentSnapshot,
  type AnyEnvelope,
  ConversationMessage,
  deriveEventId,
  type Envelope,
  makeEnvelope,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import { z } from "zod";

/** The orchestrator's durable state of one group, stored in KV and changed only by compare-and-set. */
export const GroupState = z.object({
  groupId: z.string(),
  /** Stream seq of the last message whose turn has ended; the next turn is the next message after it. */
  cursor: z.number().int().min(0),
  turnsRun: z.number().int().min(0),
  /** Ids of the latest messages that opened a turn: a re-published copy is skipped, not run twice. */
  recent: z.array(z.string()).default([]),
  active: z
    .object({
      turnId: z.string(),
      messageId: z.string(),
      messageSeq: z.number().int(),
      startedAt: z.string(),
      agents: z.array(z.object({ id: z.string(), name: z.string() })),
      settled: z.record(
        z.string(),
        z.object({ eventId: z.string(), ok: z.boolean(), error: z.string().optional() }),
      ),
      /** The message that opened the turn, as each agent's conversation starts with it. */
      prompt: z.object({ name: z.string().optional(), content: z.string() }).optional(),
      /** Messages before the prompt in each agent's conversation (the group's files, when it has any). */
      context: z.array(ConversationMessage).default([]),
      turnIndex: z.number().int().min(0).default(0),
      /** The agents as snapshotted at the start: later LLM and tool work items carry them. */
      snapshots: z.record(z.string(), AgentSnapshot).default({}),
      /** Each agent's tool loop: its conversation so far, the calls of the current step, their results. */
      loops: z
        .record(
          z.string(),
          z.object({
            step: z.number().int().min(0),
            messages: z.array(ConversationMessage),
            pending: z.record(
              z.string(),
              z.object({
                name: z.string(),
                key: z.string(),
                args: z.record(z.string(), z.unknown()).default({}),
                /** Waiting for a person's approval. */
                awaiting: z.boolean().default(false),
              }),
            ),
            results: z.array(ConversationMessage),
          }),
        )
        .default({}),
    })
    .nullable(),
  /** Events decided but maybe not yet published: flushed (idempotently) before anything else. */
  outbox: z.array(z.unknown()),
});
export type GroupState = z.infer<typeof GroupState>;

export const emptyState = (groupId: string): GroupState => ({
  groupId,
  cursor: 0,
  turnsRun: 0,
  recent: [],
  active: null,
  outbox: [],
});

/** How many message ids the state remembers, to skip re-published copies. */
export const RECENT_LIMIT = 64;

export interface Decision {
  state: GroupState;
  emit: AnyEnvelope[];
}

/**
 * Starts the turn of `message` (stream seq `seq`) with a broadcast to every agent; each agent's
 * conversation is `context` (e.g. the group's files), then the message.
 */
export function startTurn(
  state: GroupState,
  message: Envelope<"message.posted">,
  seq: number,
  agents: AgentSnapshot[],
  now: Date,
  timeoutMs: number,
  context: ConversationMessage[] = [],
): Decision {
  const turnId = message.turnId ?? message.id;
  const base = { groupId: message.groupId, turnId, causationId: message.id, actor: SYSTEM_ACTOR };
  const deadline = new Date(now.getTime() + timeoutMs).toISOString();
  const started = makeEnvelope({
    ...base,
    id: deriveEventId(turnId, "turn.started"),
    type: "turn.started",
    at: now.toISOString(),
    payload: {
      messageId: message.payload.messageId,
      messageSeq: seq,
      strategy: "broadcast",
      agentIds: agents.map((a) => a.id),
      deadline,
    },
  });
  const prompt = { name: message.actor.name ?? message.actor.id, content: message.payload.content };
  const active = {
    turnId,
    messageId: message.payload.messageId,
    messageSeq: seq,
    startedAt: now.toISOString(),
    agents: agents.map((a) => ({ id: a.id, name: a.name })),
    settled: {},
    prompt,
    context,
    turnIndex: state.turnsRun,
    snapshots: Object.fromEntries(agents.map((a) => [a.id, a])),
    loops: {},
  };
  const next: GroupState = { ...state, active, recent: [...state.recent, message.id].slice(-RECENT_LIMIT) };
  if (agents.length === 0) {
    const ended = endTurn(next, now);
    return { state: ended.state, emit: [started, ...ended.emit] };
  }
  const work = agents.map((agent) =>
    makeEnvelope({
      ...base,
      causationId: started.id,
      id: deriveEventId(turnId, `work.llm:${agent.id}`),
      type: "work.llm",
      at: now.toISOString(),
      actor: { kind: "agent", id: agent.id, name: agent.name },
      payload: {
        agent,
        turnIndex: state.turnsRun,
        step: 0,
        messages: [...context, { role: "user", ...prompt }],
      },
    }),
  );
  const timer = makeEnvelope({
    ...base,
    causationId: started.id,
    id: deriveEventId(turnId, "timer:deadline"),
    type: "work.timer",
    at: now.toISOString(),
    payload: { kind: "turn.deadline", dueAt: deadline, messageId: message.payload.messageId },
  });
  return { state: next, emit: [started, ...work, timer] };
}

/** Records an agent's answer (or failure); ends the turn when every agent has settled. Null: nothing to do. */
export function settleAgent(
  state: GroupState,
  e: Envelope<"agent.replied"> | Envelope<"agent.failed">,
  now: Date,
): Decision | null {
  const active = state.active;
  if (!active || active.turnId !== e.turnId) return null;
  const agentId = e.payload.agentId;
  if (!active.agents.some((a) => a.id === agentId) || active.settled[agentId]) return null;
  const settled = {
    ...active.settled,
    [agentId]:
      e.type === "agent.replied"
        ? { eventId: e.id, ok: true }
        : { eventId: e.id, ok: false, error: e.payload.error },
  };
  const next: GroupState = { ...state, active: { ...active, settled } };
  if (Object.keys(settled).length < active.agents.length) return { state: next, emit: [] };
  return endTurn(next, now);
}

/** Fails the running turn `turnId` if it is still running. Null: it already ended. */
export function timeOutTurn(state: GroupState, turnId: string, now: Date): Decision | null {
  if (!state.active || state.active.turnId !== turnId) return null;
  return endTurn(state, now, "timeout");
}

function endTurn(state: GroupState, now: Date, forced?: "timeout"): Decision {
  const active = state.active;
  if (!active) throw new Error("endTurn without an active turn");
  const settled = Object.values(active.settled);
  const replyIds = settled.filter((s) => s.ok).map((s) => s.eventId);
  const failures = active.agents.filter((a) => active.settled[a.id] && !active.settled[a.id]?.ok);
  const durationMs = Math.max(0, now.getTime() - Date.parse(active.startedAt));
  const base = {
    groupId: state.groupId,
    turnId: active.turnId,
    causationId: settled.at(-1)?.eventId ?? null,
    actor: SYSTEM_ACTOR,
    at: now.toISOString(),
    // One id for either outcome: even a duplicate decision can publish only one ending.
    id: deriveEventId(active.turnId, "turn.ended"),
  };
  let ended: AnyEnvelope;
  if (forced === "timeout") {
    const missing = active.agents.filter((a) => !active.settled[a.id]).map((a) => a.name);
    ended = makeEnvelope({
      ...base,
      type: "turn.failed",
      payload: {
        messageId: active.messageId,
        reason: "timeout",
        detail: `no answer from ${missing.join(", ")}`,
        replyIds,
        durationMs,
      },
    });
  } else if (failures.length > 0) {
    const detail = failures.map((a) => `${a.name}: ${active.settled[a.id]?.error ?? "failed"}`).join("; ");
    ended = makeEnvelope({
      ...base,
      type: "turn.failed",
      payload: { messageId: active.messageId, reason: "agent_failed", detail, replyIds, durationMs },
    });
  } else {
    ended = makeEnvelope({
      ...base,
      type: "turn.completed",
      payload: { messageId: active.messageId, replyIds, durationMs },
    });
  }
  return {
    state: { ...state, active: null, cursor: active.messageSeq, turnsRun: state.turnsRun + 1 },
    emit: [ended],
  };
}
