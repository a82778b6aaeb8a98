import { z } from "zod";
import {
  AGENT_FAILED,
  AGENT_REPLIED,
  AGENT_TOOL_REQUESTED,
  AgentFailed,
  AgentReplied,
  AgentToolRequested,
} from "./agent.js";
import { BUDGET_EXCEEDED, BUDGET_WARNING, BudgetExceeded, BudgetWarning } from "./budget.js";
import { Actor, Id } from "./common.js";
import { ForkOrigin } from "./fork.js";
import {
  MEMORY_RESET,
  MEMORY_SUMMARIZED,
  MEMORY_UPDATED,
  MemoryReset,
  MemorySummarized,
  MemoryUpdated,
} from "./memory.js";
import { MESSAGE_POSTED, MessagePosted } from "./message.js";
import {
  CONSENSUS_FAILED,
  CONSENSUS_REACHED,
  ConsensusFailed,
  ConsensusReached,
  GUARD_TRIGGERED,
  GuardTriggered,
  SPEAKER_SELECTED,
  SpeakerSelected,
  TURN_CANCEL_REQUESTED,
  TurnCancelRequested,
  VOTE_CAST,
  VOTE_CLOSED,
  VOTE_OPENED,
  VoteCast,
  VoteClosed,
  VoteOpened,
} from "./orchestration.js";
import {
  TOOL_APPROVAL_REQUESTED,
  TOOL_APPROVED,
  TOOL_COMPLETED,
  TOOL_DENIED,
  ToolApprovalRequested,
  ToolCompleted,
  ToolDecision,
} from "./tool.js";
import { TURN_COMPLETED, TURN_FAILED, TURN_STARTED, TurnCompleted, TurnFailed, TurnStarted } from "./turn.js";
import { WORK_LLM, WORK_TIMER, WORK_TOOL, WorkLlm, WorkTimer, WorkTool } from "./work.js";

/** Every event and work item, keyed by type: its schema version and payload schema. */
export const catalog = {
  [MESSAGE_POSTED]: { v: 1, kind: "event", payload: MessagePosted },
  [TURN_STARTED]: { v: 1, kind: "event", payload: TurnStarted },
  [AGENT_REPLIED]: { v: 1, kind: "event", payload: AgentReplied },
  [AGENT_FAILED]: { v: 1, kind: "event", payload: AgentFailed },
  [AGENT_TOOL_REQUESTED]: { v: 1, kind: "event", payload: AgentToolRequested },
  [TOOL_COMPLETED]: { v: 1, kind: "event", payload: ToolCompleted },
  [TOOL_APPROVAL_REQUESTED]: { v: 1, kind: "event", payload: ToolApprovalRequested },
  [TOOL_APPROVED]: { v: 1, kind: "event", payload: ToolDecision },
  [TOOL_DENIED]: { v: 1, kind: "event", payload: ToolDecision },
  [SPEAKER_SELECTED]: { v: 1, kind: "event", payload: SpeakerSelected },
  [GUARD_TRIGGERED]: { v: 1, kind: "event", payload: GuardTriggered },
  [VOTE_OPENED]: { v: 1, kind: "event", payload: VoteOpened },
  [VOTE_CAST]: { v: 1, kind: "event", payload: VoteCast },
  [VOTE_CLOSED]: { v: 1, kind: "event", payload: VoteClosed },
  [CONSENSUS_REACHED]: { v: 1, kind: "event", payload: ConsensusReached },
  [CONSENSUS_FAILED]: { v: 1, kind: "event", payload: ConsensusFailed },
  [TURN_CANCEL_REQUESTED]: { v: 1, kind: "event", payload: TurnCancelRequested },
  [TURN_COMPLETED]: { v: 1, kind: "event", payload: TurnCompleted },
  [TURN_FAILED]: { v: 1, kind: "event", payload: TurnFailed },
  [MEMORY_UPDATED]: { v: 1, kind: "event", payload: MemoryUpdated },
  [MEMORY_RESET]: { v: 1, kind: "event", payload: MemoryReset },
  [MEMORY_SUMMARIZED]: { v: 1, kind: "event", payload: MemorySummarized },
  [BUDGET_EXCEEDED]: { v: 1, kind: "event", payload: BudgetExceeded },
  [BUDGET_WARNING]: { v: 1, kind: "event", payload: BudgetWarning },
  [WORK_LLM]: { v: 1, kind: "work", payload: WorkLlm },
  [WORK_TIMER]: { v: 1, kind: "work", payload: WorkTimer },
  [WORK_TOOL]: { v: 1, kind: "work", payload: WorkTool },
} as const;

type Catalog = typeof catalog;
export type EventType = keyof Catalog;
/** Conversation events (persisted per group); the rest are work items. */
export type ConvEventType = { [K in EventType]: Catalog[K]["kind"] extends "event" ? K : never }[EventType];
export type WorkType = Exclude<EventType, ConvEventType>;
export type PayloadOf<T extends EventType> = z.infer<Catalog[T]["payload"]>;

export const EVENT_TYPES = Object.keys(catalog) as EventType[];
export const CONV_EVENT_TYPES = EVENT_TYPES.filter((t) => catalog[t].kind === "event") as ConvEventType[];

/** The one envelope every event and work item travels in. */
export interface Envelope<T extends EventType = EventType> {
  /** UUIDv7; also the `Nats-Msg-Id`, so a re-publish is deduplicated. */
  id: string;
  type: T;
  v: number;
  groupId: string;
  turnId: string | null;
  causationId: string | null;
  at: string;
  actor: Actor;
  payload: PayloadOf<T>;
  /** The W3C trace context it was decided in (absent on events of earlier versions). */
  traceparent?: string;
  /** Set on the copies a fork makes of another group's history (absent on every other event). */
  forkedFrom?: ForkOrigin;
}
/** An envelope of any type, narrowed by `type`. */
export type AnyEnvelope = { [K in EventType]: Envelope<K> }[EventType];
export type AnyConvEnvelope = { [K in ConvEventType]: Envelope<K> }[ConvEventType];

const Head = z.object({
  id: Id,
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
  v: z.number().int().positive(),
  groupId: Id,
  turnId: Id.nullable(),
  causationId: Id.nullable(),
  at: z.iso.datetime(),
  actor: Actor,
  payload: z.unknown(),
  // A malformed trace context is dropped, never a reason to refuse the event.
  traceparent: z
    .string()
    .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
    .optional()
    .catch(undefined),
  forkedFrom: ForkOrigin.optional(),
});

export type ParseResult =
  | { ok: true; envelope: AnyEnvelope }
  | { ok: false; issues: { path: string; message: string }[] };

/** Validates an incoming envelope against the catalog (consumers call this; failures are never retried). */
export function parseEnvelope(raw: unknown): ParseResult {
  const head = Head.safeParse(raw);
  if (!head.success) return { ok: false, issues: flatten(head.error) };
  const entry = catalog[head.data.type];
  if (head.data.v !== entry.v) {
    return {
      ok: false,
      issues: [{ path: "v", message: `unsupported version ${head.data.v} of ${head.data.type}` }],
    };
  }
  const payload = entry.payload.safeParse(head.data.payload);
  if (!payload.success) {
    return { ok: false, issues: flatten(payload.error).map((i) => ({ ...i, path: `payload.${i.path}` })) };
  }
  // Absent optional fields stay absent (not `undefined`): envelopes compare and serialize as published.
  const { forkedFrom, traceparent, ...rest } = head.data;
  return {
    ok: true,
    envelope: {
      ...rest,
      ...(forkedFrom ? { forkedFrom } : {}),
      payload: payload.data,
      ...(traceparent ? { traceparent } : {}),
    } as AnyEnvelope,
  };
}

function flatten(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/** Builds a valid envelope; a schema failure here is our bug, so it throws. */
export function makeEnvelope<T extends EventType>(input: {
  id: string;
  type: T;
  groupId: string;
  turnId: string | null;
  causationId: string | null;
  actor: Actor;
  payload: PayloadOf<T>;
  at?: string;
  traceparent?: string | undefined;
  forkedFrom?: ForkOrigin;
}): Envelope<T> {
  const entry = catalog[input.type];
  const payload = entry.payload.parse(input.payload) as PayloadOf<T>;
  return {
    id: Id.parse(input.id),
    type: input.type,
    v: entry.v,
    groupId: Id.parse(input.groupId),
    turnId: input.turnId,
    causationId: input.causationId,
    at: input.at ?? new Date().toISOString(),
    actor: input.actor,
    payload,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
    ...(input.forkedFrom ? { forkedFrom: ForkOrigin.parse(input.forkedFrom) } : {}),
  };
}

export function isConvEvent(e: AnyEnvelope): e is AnyConvEnvelope {
  return catalog[e.type].kind === "event";
}
