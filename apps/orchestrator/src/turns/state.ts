import { describeTurnMemory, memoryEntry, promptOf, type TurnMemory, voteOutcome } from "@conclave/memory";
import {
  AgentSnapshot,
  type AnyEnvelope,
  AskPurpose,
  ConversationMessage,
  deriveEventId,
  type Envelope,
  MemoryEntry,
  makeEnvelope,
  StrategyName,
  SYSTEM_ACTOR,
  type TurnFailed,
} from "@conclave/subjects";
import { z } from "zod";
import type { GraphStep } from "../graphs/runner.js";
import { StoredCheckpoint } from "../graphs/step-checkpoints.js";
import type { GraphInput, TurnSpec } from "../graphs/turn-graph.js";
import type { TurnLimits } from "./turn-spec.js";

const Budget = z.object({ windowTokens: z.number().int().min(0), maxMessages: z.number().int().min(0) });

/** How a turn remembers: the group's memory settings, the largest agent window, who summarizes. */
export const MemoryPlan = z.object({
  memory: Budget.extend({
    enabled: z.boolean(),
    summarizeAfterTokens: z.number().int().min(0),
    summarizerAgentId: z.string().nullable(),
  }),
  retain: Budget,
  summarizer: AgentSnapshot.nullable(),
});
export type MemoryPlan = z.infer<typeof MemoryPlan>;

/** An ended turn's entries, waiting (in the state, like the outbox) to be appended to the group's memory. */
const Remembered = MemoryPlan.extend({
  turnIndex: z.number().int().min(0),
  turnId: z.string(),
  messageSeq: z.number().int().min(0),
  entries: z.array(MemoryEntry),
});

/** The orchestrator's durable state of one group, stored in KV and changed only by compare-and-set. */
export const GroupState = z.object({
  groupId: z.string(),
  /** Stream seq of the last message whose turn has ended; the next turn is the next message after it. */
  cursor: z.number().int().min(0),
  turnsRun: z.number().int().min(0),
  /** Ids of the latest messages that opened (or were refused) a turn: a re-published copy is skipped. */
  recent: z.array(z.string()).default([]),
  /**
   * Queued turns a person cancelled. `ended`: its `turn.failed` (cancelled) is out already, and its
   * message is skipped silently when its turn comes; otherwise the turn fails then.
   */
  cancelled: z
    .array(
      z.union([
        z.string().transform((turnId) => ({ turnId, ended: false })),
        z.object({ turnId: z.string(), ended: z.boolean() }),
      ]),
    )
    .default([]),
  active: z
    .object({
      turnId: z.string(),
      messageId: z.string(),
      messageSeq: z.number().int(),
      startedAt: z.string(),
      /** When the turn's deadline timer fires (absent in states of earlier versions). */
      deadline: z.string().optional(),
      /** The trace context of the message's post: every event of the turn joins its trace. */
      traceparent: z.string().optional(),
      strategy: StrategyName,
      /** The group's concurrent-input policy when the turn started (a `reject` turn holds the edge's claim). */
      policy: z.enum(["enqueue", "reject", "interrupt"]).default("enqueue"),
      /**
       * The graph's thread and the checkpoint it resumes from, stored here with the events it decided
       * (a state of an earlier version names only the id); `epoch` counts its resumes.
       */
      thread: z.string(),
      checkpointId: z.string(),
      checkpoint: StoredCheckpoint.optional(),
      epoch: z.number().int().min(0),
      agents: z.array(z.object({ id: z.string(), name: z.string() })),
      /** The agents as snapshotted at the start: later LLM and tool work items carry them. */
      snapshots: z.record(z.string(), AgentSnapshot).default({}),
      turnIndex: z.number().int().min(0).default(0),
      /** What each agent is being asked now (at most one ask per agent at a time). */
      current: z.record(
        z.string(),
        z.object({
          askId: z.string(),
          purpose: AskPurpose,
          index: z.number().int().min(0),
          /** The ask's conversation, kept for agents that may call tools (their loop continues it). */
          messages: z.array(ConversationMessage).optional(),
          /** The system prompt the ask was sent with, when the memory extended it (for the tool loop). */
          systemPrompt: z.string().optional(),
        }),
      ),
      askCounts: z.record(z.string(), z.number().int().min(0)).default({}),
      asks: z.number().int().min(0).default(0),
      tokens: z.number().int().min(0).default(0),
      limits: z.object({
        maxAgentSteps: z.number().int().min(1),
        maxTokens: z.number().int().min(1).nullable(),
      }),
      replyIds: z.array(z.string()).default([]),
      failures: z
        .array(z.object({ name: z.string(), error: z.string(), budget: z.boolean().optional() }))
        .default([]),
      /** What this turn adds to the group's memory when it ends (absent: memory is off). */
      memory: MemoryPlan.extend({
        entries: z.array(MemoryEntry),
        /** The newest stream seq the turn has seen (a vote's outcome is remembered at it). */
        lastSeq: z.number().int().min(0),
      }).optional(),
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
  /** Ended turns not yet appended to the group's memory: appended (idempotently) with the outbox. */
  remember: z.array(Remembered).default([]),
});
export type GroupState = z.infer<typeof GroupState>;
export type Active = NonNullable<GroupState["active"]>;

export const emptyState = (groupId: string): GroupState => ({
  groupId,
  cursor: 0,
  turnsRun: 0,
  recent: [],
  cancelled: [],
  active: null,
  outbox: [],
  remember: [],
});

/** How many message ids the state remembers, to skip re-published copies. */
export const RECENT_LIMIT = 64;
/** How many cancelled queued turns the state remembers. */
export const CANCELLED_LIMIT = 64;

/** What ended: a finished graph thread to compact and, maybe, a `reject` claim to release. */
export interface Ended {
  turnId: string;
  messageId: string;
  thread: string | null;
  /** Whether an edge may hold a claim for this message (false: a turn of another policy). */
  claimed: boolean;
}

export interface Decision {
  state: GroupState;
  emit: AnyEnvelope[];
  ended?: Ended[];
}

/** `a`, then `b` decided on `a`'s state: `b`'s state, both decisions' events and endings in order. */
export const joinDecisions = (a: Decision, b: Decision): Decision => ({
  state: b.state,
  emit: [...a.emit, ...b.emit],
  ended: [...(a.ended ?? []), ...(b.ended ?? [])],
});

/**
 * Opens the turn of `message`: `turn.started`, the deadline timer, then what the strategy's graph
 * decided on its first step (usually the first asks).
 */
export function beginTurn(input: {
  state: GroupState;
  message: Envelope<"message.posted">;
  seq: number;
  agents: AgentSnapshot[];
  spec: TurnSpec;
  limits: TurnLimits;
  policy: "enqueue" | "reject" | "interrupt";
  step: GraphStep;
  /** What the turn's prompts remember, and how it is remembered (off: no plan). */
  memory: { plan: MemoryPlan | null; turn: TurnMemory };
  now: Date;
}): Decision {
  const { state, message, seq, spec, limits, now } = input;
  const { plan, turn } = input.memory;
  const turnId = spec.turnId;
  const base = { groupId: message.groupId, turnId, causationId: message.id, actor: SYSTEM_ACTOR };
  const deadline = new Date(now.getTime() + limits.timeoutMs).toISOString();
  const agentIds = [...spec.speakers, ...(spec.selector ? [spec.selector] : [])].map((a) => a.id);
  const started = makeEnvelope({
    ...base,
    id: deriveEventId(turnId, "turn.started"),
    type: "turn.started",
    at: now.toISOString(),
    payload: {
      messageId: message.payload.messageId,
      messageSeq: seq,
      strategy: spec.strategy,
      agentIds,
      deadline,
      ...(plan ? { memory: describeTurnMemory(turn) } : {}),
    },
  });
  const timer = makeEnvelope({
    ...base,
    causationId: started.id,
    id: deriveEventId(turnId, "timer:deadline"),
    type: "work.timer",
    at: now.toISOString(),
    payload: { kind: "turn.deadline", dueAt: deadline, messageId: message.payload.messageId },
  });
  const snapshots = Object.fromEntries(input.agents.map((a) => [a.id, a]));
  const active: Active = {
    turnId,
    messageId: message.payload.messageId,
    messageSeq: seq,
    startedAt: now.toISOString(),
    deadline,
    ...(message.traceparent ? { traceparent: message.traceparent } : {}),
    strategy: spec.strategy,
    policy: input.policy,
    thread: input.step.thread,
    checkpointId: input.step.checkpoint?.id ?? "",
    ...(input.step.checkpoint ? { checkpoint: input.step.checkpoint } : {}),
    epoch: 0,
    agents: input.agents.map((a) => ({ id: a.id, name: a.name })),
    snapshots,
    turnIndex: state.turnsRun,
    current: {},
    askCounts: {},
    asks: 0,
    tokens: 0,
    limits: { maxAgentSteps: limits.maxAgentSteps, maxTokens: limits.maxTokens },
    replyIds: [],
    failures: [],
    loops: {},
    ...(plan
      ? {
          memory: {
            ...plan,
            entries: [
              memoryEntry({
                seq,
                kind: "message",
                turnId,
                by: message.actor,
                content: message.payload.content,
              }),
            ],
            lastSeq: seq,
          },
        }
      : {}),
  };
  const opened: GroupState = {
    ...state,
    active,
    recent: [...state.recent, message.id].slice(-RECENT_LIMIT),
  };
  const rest = applyStep(opened, input.step, now, started.id, turn);
  return { ...rest, emit: [started, timer, ...rest.emit] };
}

/**
 * Records an agent's answer (or failure) to its current ask and says how to resume the graph.
 * Null: stale (another turn, no such ask, answered already). A turn over its token budget ends here.
 */
export function recordAnswer(
  state: GroupState,
  e: Envelope<"agent.replied"> | Envelope<"agent.failed">,
  now: Date,
  seq?: number,
): { state: GroupState; input: GraphInput } | { ended: Decision } | null {
  const active = state.active;
  if (!active || active.turnId !== e.turnId) return null;
  const agentId = e.payload.agentId;
  const current = active.current[agentId];
  if (!current || (e.payload.askId !== undefined && e.payload.askId !== current.askId)) return null;
  const { [agentId]: _asked, ...rest } = active.current;
  const { [agentId]: _loop, ...loops } = active.loops;
  const ok = e.type === "agent.replied";
  const usage = e.type === "agent.replied" ? e.payload.usage : undefined;
  const tokens = active.tokens + (usage ? usage.inputTokens + usage.outputTokens : 0);
  const name = e.payload.agentName;
  const memory = active.memory && rememberAnswer(active.memory, e, current.purpose, seq);
  const next: Active = {
    ...active,
    ...(memory ? { memory } : {}),
    current: rest,
    loops,
    tokens,
    epoch: active.epoch + 1,
    replyIds: ok && current.purpose === "reply" ? [...active.replyIds, e.id] : active.replyIds,
    failures: ok
      ? active.failures
      : [
          ...active.failures,
          { name, error: e.payload.error, ...(e.payload.reason === "budget" ? { budget: true } : {}) },
        ],
  };
  const updated = { ...state, active: next };
  if (active.limits.maxTokens !== null && tokens > active.limits.maxTokens) {
    return {
      ended: failTurn(
        updated,
        now,
        "limit",
        `token limit of ${active.limits.maxTokens} per turn reached (${tokens} used)`,
        e.id,
      ),
    };
  }
  return {
    state: updated,
    input: {
      n: next.epoch,
      at: now.toISOString(),
      kind: "reply",
      answer: {
        askId: current.askId,
        agentId,
        name,
        ok,
        content: ok ? e.payload.content : e.payload.error,
        eventId: e.id,
      },
    },
  };
}

/** Adds tokens an agent spent asking for tools; past the turn's budget the turn ends. */
export function chargeTokens(
  state: GroupState,
  tokens: number,
  now: Date,
  causationId: string,
): Decision | null {
  const active = state.active;
  if (!active || tokens === 0) return null;
  const total = active.tokens + tokens;
  const next = { ...state, active: { ...active, tokens: total } };
  if (active.limits.maxTokens !== null && total > active.limits.maxTokens) {
    return failTurn(
      next,
      now,
      "limit",
      `token limit of ${active.limits.maxTokens} per turn reached (${total} used)`,
      causationId,
    );
  }
  return { state: next, emit: [] };
}

/** The graph input for a vote's deadline, or null when no such vote can be waiting. */
export function deadlineInput(
  state: GroupState,
  turnId: string,
  voteId: string,
  now: Date,
): { state: GroupState; input: GraphInput } | null {
  const active = state.active;
  if (!active || active.turnId !== turnId) return null;
  const next = { ...active, epoch: active.epoch + 1 };
  return {
    state: { ...state, active: next },
    input: { n: next.epoch, at: now.toISOString(), kind: "deadline", voteId },
  };
}

/** Turns a graph step's intents into events and work items (ids derived, so a retry repeats them). */
export function applyStep(
  state: GroupState,
  step: GraphStep,
  now: Date,
  causationId: string | null,
  memory: TurnMemory,
): Decision {
  let s: GroupState = state;
  const emit: AnyEnvelope[] = [];
  const active0 = s.active;
  if (!active0) throw new Error("applyStep without an active turn");
  s = {
    ...s,
    active: {
      ...active0,
      thread: step.thread,
      ...(step.checkpoint ? { checkpointId: step.checkpoint.id, checkpoint: step.checkpoint } : {}),
    },
  };
  const turnId = active0.turnId;
  const at = now.toISOString();
  const base = { groupId: s.groupId, turnId, causationId, actor: SYSTEM_ACTOR, at };
  for (const intent of step.intents) {
    const active = s.active;
    if (!active) break;
    switch (intent.kind) {
      case "ask": {
        const agent = active.snapshots[intent.ask.agentId];
        if (!agent) continue;
        if (active.asks + 1 > active.limits.maxAgentSteps) {
          const ended = failTurn(
            s,
            now,
            "limit",
            `agent step limit of ${active.limits.maxAgentSteps} per turn reached`,
            causationId,
          );
          return { state: ended.state, emit: [...emit, ...ended.emit], ended: ended.ended };
        }
        const { askId, purpose } = intent.ask;
        const index = active.askCounts[agent.id] ?? 0;
        if (intent.selected) {
          emit.push(
            makeEnvelope({
              ...base,
              id: deriveEventId(turnId, `speaker.selected:${askId}`),
              type: "speaker.selected",
              payload: {
                agentId: agent.id,
                agentName: agent.name,
                strategy: active.strategy,
                rule: intent.selected.rule,
                reason: intent.selected.reason.slice(0, 2000),
                ...(intent.ask.round > 0 ? { round: intent.ask.round } : {}),
                askId,
              },
            }),
          );
        }
        const sent = promptOf(memory, agent, intent.messages);
        emit.push(
          makeEnvelope({
            ...base,
            id: deriveEventId(turnId, `work.llm:${askId}`),
            type: "work.llm",
            actor: { kind: "agent", id: agent.id, name: agent.name },
            payload: {
              agent: sent.agent,
              turnIndex: active.turnIndex,
              step: 0,
              messages: sent.messages,
              ask: { id: askId, purpose, index },
            },
          }),
        );
        const system = sent.agent === agent ? {} : { systemPrompt: sent.agent.systemPrompt };
        const keep = agent.allowedTools.length > 0 ? { messages: sent.messages, ...system } : {};
        s = {
          ...s,
          active: {
            ...active,
            asks: active.asks + 1,
            askCounts: { ...active.askCounts, [agent.id]: index + 1 },
            current: { ...active.current, [agent.id]: { askId, purpose, index, ...keep } },
          },
        };
        break;
      }
      case "guard":
        emit.push(
          makeEnvelope({
            ...base,
            id: deriveEventId(turnId, intent.key),
            type: "guard.triggered",
            payload: {
              code: intent.code,
              reason: intent.reason.slice(0, 2000),
              ...(intent.agentId ? { agentId: intent.agentId } : {}),
            },
          }),
        );
        break;
      case "vote.opened":
        emit.push(
          makeEnvelope({
            ...base,
            id: deriveEventId(turnId, `vote.opened:${intent.payload.voteId}`),
            type: "vote.opened",
            payload: intent.payload,
          }),
        );
        break;
      case "vote.cast":
        emit.push(
          makeEnvelope({
            ...base,
            causationId: intent.causationId,
            id: deriveEventId(turnId, `vote.cast:${intent.payload.voteId}:${intent.payload.agentId}`),
            type: "vote.cast",
            payload: intent.payload,
          }),
        );
        break;
      case "vote.closed": {
        emit.push(
          makeEnvelope({
            ...base,
            id: deriveEventId(turnId, `vote.closed:${intent.payload.voteId}`),
            type: "vote.closed",
            payload: intent.payload,
          }),
        );
        const m = active.memory;
        if (m) {
          const outcome = memoryEntry({
            seq: m.lastSeq,
            kind: "outcome",
            turnId,
            by: SYSTEM_ACTOR,
            content: voteOutcome(intent.payload),
          });
          s = { ...s, active: { ...active, memory: { ...m, entries: [...m.entries, outcome] } } };
        }
        break;
      }
      case "consensus": {
        const id = deriveEventId(turnId, `consensus:${String(intent.payload.voteId)}`);
        emit.push(
          intent.reached
            ? makeEnvelope({
                ...base,
                id,
                type: "consensus.reached",
                payload: intent.payload as Envelope<"consensus.reached">["payload"],
              })
            : makeEnvelope({
                ...base,
                id,
                type: "consensus.failed",
                payload: intent.payload as Envelope<"consensus.failed">["payload"],
              }),
        );
        break;
      }
      case "timer":
        emit.push(
          makeEnvelope({
            ...base,
            id: deriveEventId(turnId, intent.key),
            type: "work.timer",
            payload: {
              kind: "vote.deadline",
              dueAt: intent.dueAt,
              messageId: active.messageId,
              voteId: intent.voteId,
            },
          }),
        );
        break;
      case "end": {
        const ended = intent.ok
          ? endTurn(s, now, causationId)
          : failTurn(s, now, intent.reason, intent.detail, causationId);
        return { state: ended.state, emit: [...emit, ...ended.emit], ended: ended.ended };
      }
    }
  }
  return { state: s, emit };
}

/**
 * Ends the running turn: completed, or failed with `agent_failed` when any agent failed (`budget`
 * when a budget refused one of its calls).
 */
export function endTurn(state: GroupState, now: Date, causationId: string | null): Decision {
  const active = state.active;
  if (!active) throw new Error("endTurn without an active turn");
  if (active.failures.length > 0) {
    const detail = active.failures.map((f) => `${f.name}: ${f.error}`).join("; ");
    const reason = active.failures.some((f) => f.budget) ? "budget" : "agent_failed";
    return failTurn(state, now, reason, detail, causationId);
  }
  const ended = makeEnvelope({
    ...endBase(state, active, now, causationId),
    type: "turn.completed",
    payload: { messageId: active.messageId, replyIds: active.replyIds, durationMs: durationOf(active, now) },
  });
  return closed(state, active, ended);
}

/** Ends the running turn with `turn.failed`. */
export function failTurn(
  state: GroupState,
  now: Date,
  reason: TurnFailed["reason"],
  detail: string,
  causationId: string | null,
): Decision {
  const active = state.active;
  if (!active) throw new Error("failTurn without an active turn");
  const ended = makeEnvelope({
    ...endBase(state, active, now, causationId),
    type: "turn.failed",
    payload: {
      messageId: active.messageId,
      reason,
      detail: detail.slice(0, 4000),
      replyIds: active.replyIds,
      durationMs: durationOf(active, now),
    },
  });
  return closed(state, active, ended);
}

/** Fails the running turn `turnId` at its deadline if it is still running. Null: it already ended. */
export function timeOutTurn(state: GroupState, turnId: string, now: Date): Decision | null {
  const active = state.active;
  if (!active || active.turnId !== turnId) return null;
  const missing = Object.keys(active.current).map((id) => active.snapshots[id]?.name ?? id);
  const detail = missing.length > 0 ? `no answer from ${missing.join(", ")}` : "the turn ran out of time";
  return failTurn(state, now, "timeout", detail, null);
}

/**
 * Ends a queued turn a person cancelled, before its message comes up (which is then skipped
 * silently). Null: that message already had its turn.
 */
export function cancelQueued(
  state: GroupState,
  e: Envelope<"turn.cancel_requested">,
  messageId: string,
  now: Date,
): Decision | null {
  const turnId = e.turnId;
  if (!turnId || state.recent.includes(messageId)) return null;
  const cancelled = [...state.cancelled.filter((c) => c.turnId !== turnId), { turnId, ended: true }];
  const failed = failedBeforeStart(
    state,
    turnId,
    messageId,
    e.id,
    "cancelled",
    cancelDetail(e, " before it started"),
    now,
  );
  return { ...failed, state: { ...state, cancelled: cancelled.slice(-CANCELLED_LIMIT) } };
}

/** Who cancelled a turn, and why when they said: the `detail` of its `turn.failed`. */
export function cancelDetail(e: Envelope<"turn.cancel_requested">, when = ""): string {
  const why = e.payload.reason ? `: ${e.payload.reason}` : "";
  return `cancelled by ${e.actor.name ?? e.actor.id}${when}${why}`;
}

/** Ends a message's turn that never started (cancelled while queued, refused, or superseded). */
export function skipTurn(
  state: GroupState,
  message: Envelope<"message.posted">,
  seq: number,
  reason: "cancelled" | "interrupted" | "rejected",
  detail: string,
  now: Date,
): Decision {
  const turnId = message.turnId ?? message.id;
  const next: GroupState = {
    ...state,
    cursor: Math.max(state.cursor, seq),
    recent: [...state.recent, message.id].slice(-RECENT_LIMIT),
    cancelled: state.cancelled.filter((c) => c.turnId !== turnId),
  };
  const failed = failedBeforeStart(state, turnId, message.payload.messageId, message.id, reason, detail, now);
  return { ...failed, state: next };
}

/** The `turn.failed` of a turn that never started, and what its ending releases (no thread; maybe a claim). */
function failedBeforeStart(
  state: GroupState,
  turnId: string,
  messageId: string,
  causationId: string,
  reason: TurnFailed["reason"],
  detail: string,
  now: Date,
): Decision {
  const failed = makeEnvelope({
    id: deriveEventId(turnId, "turn.ended"),
    type: "turn.failed",
    groupId: state.groupId,
    turnId,
    causationId,
    actor: SYSTEM_ACTOR,
    at: now.toISOString(),
    payload: { messageId, reason, detail, replyIds: [], durationMs: 0 },
  });
  return { state, emit: [failed], ended: [{ turnId, messageId, thread: null, claimed: true }] };
}

function endBase(state: GroupState, active: Active, now: Date, causationId: string | null) {
  return {
    groupId: state.groupId,
    turnId: active.turnId,
    causationId,
    actor: SYSTEM_ACTOR,
    at: now.toISOString(),
    // One id for either outcome: even a duplicate decision can publish only one ending.
    id: deriveEventId(active.turnId, "turn.ended"),
  };
}

function durationOf(active: Active, now: Date): number {
  return Math.max(0, now.getTime() - Date.parse(active.startedAt));
}

/** An answer to a reply ask joins the turn's memory (ballots and picks never do). */
function rememberAnswer(
  memory: NonNullable<Active["memory"]>,
  e: Envelope<"agent.replied"> | Envelope<"agent.failed">,
  purpose: AskPurpose,
  seq: number | undefined,
): NonNullable<Active["memory"]> {
  const lastSeq = Math.max(memory.lastSeq, seq ?? 0);
  if (e.type !== "agent.replied" || purpose !== "reply") return { ...memory, lastSeq };
  const by = { kind: "agent" as const, id: e.payload.agentId, name: e.payload.agentName };
  const entry = memoryEntry({
    seq: seq ?? lastSeq,
    kind: "reply",
    turnId: e.turnId ?? "",
    by,
    content: e.payload.content,
  });
  return { ...memory, lastSeq, entries: [...memory.entries, entry] };
}

function closed(state: GroupState, active: Active, ended: AnyEnvelope): Decision {
  const m = active.memory;
  const remember = m
    ? [
        ...state.remember,
        {
          memory: m.memory,
          retain: m.retain,
          summarizer: m.summarizer,
          turnIndex: active.turnIndex,
          turnId: active.turnId,
          messageSeq: active.messageSeq,
          entries: m.entries,
        },
      ]
    : state.remember;
  return {
    state: { ...state, active: null, cursor: active.messageSeq, turnsRun: state.turnsRun + 1, remember },
    emit: [ended],
    ended: [
      {
        turnId: active.turnId,
        messageId: active.messageId,
        thread: active.thread,
        claimed: active.policy === "reject",
      },
    ],
  };
}
