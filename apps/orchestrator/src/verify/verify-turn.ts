import type { GroupSettings } from "@conclave/db";
import { noMemory } from "@conclave/memory";
import type { AgentSnapshot, AnyEnvelope, Envelope, StrategyName } from "@conclave/subjects";
import { createStrategyRunner } from "../graphs/runner.js";
import { openTurn, settleAnswer } from "../turns/graph-steps.js";
import { emptyState, type GroupState } from "../turns/state.js";

/** A recorded event with its stream seq (as replay and the timeline answer them). */
export interface RecordedEvent {
  seq: number;
  event: AnyEnvelope;
}

/** The decisions verify compares: what the strategies and rules decided, not what agents said. */
export const DECIDED_TYPES = [
  "speaker.selected",
  "guard.triggered",
  "vote.opened",
  "vote.cast",
  "vote.closed",
  "consensus.reached",
  "consensus.failed",
  "turn.completed",
  "turn.failed",
] as const;
const DECIDED = new Set<string>(DECIDED_TYPES);

/** Stamps of the decision's clock (the deadline a vote got, how long the turn took): not compared. */
const CLOCK_FIELDS = new Set(["deadline", "durationMs"]);

export interface Divergence {
  /** `missing`: recorded, not decided now; `extra`: decided now, not recorded; `changed`: both, differently. */
  kind: "missing" | "extra" | "changed" | "unanswered" | "unsupported";
  type: string;
  id: string;
  recorded?: unknown;
  now?: unknown;
  detail?: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Recorded events read. */
  events: number;
  /** Recorded decisions compared. */
  decisions: number;
  divergences: Divergence[];
}

export interface VerifyInput {
  /** The turn's recorded events, its `message.posted` included, in seq order. */
  events: readonly RecordedEvent[];
  strategy: StrategyName;
  /**
   * The group's settings for the turn. Not recorded with the turn: the caller passes today's, so a
   * turn verified after its group's limits, selector or voting rule changed diverges for that reason.
   */
  settings: GroupSettings;
  /** The seated agents in seat order (default: `agentsOfTurn(events)`), e.g. reordered to test a change. */
  agents?: AgentSnapshot[];
  /** Deployment defaults the settings leave unset (the orchestrator's own defaults otherwise). */
  defaults?: { turnTimeoutMs: number; maxAgentSteps: number; voteDeadlineMs: number };
}

/**
 * Re-drives the orchestrator's strategy over a recorded turn, answering each LLM ask with the
 * recorded `agent.replied`/`agent.failed` for its work item, and reports where the decisions made
 * now differ from the recorded ones. Calls no provider and publishes nothing (a memory checkpointer).
 * Not reconstructed: the prompts' memory (decisions do not read it), tool loops (`agent.tool_requested`
 * is reported unsupported) and vote deadlines passed on a timer (a vote closed by deadline diverges).
 */
export async function verifyTurn(input: VerifyInput): Promise<VerifyResult> {
  const events = [...input.events].sort((a, b) => a.seq - b.seq);
  const started = events.find((r) => r.event.type === "turn.started")?.event as
    | Envelope<"turn.started">
    | undefined;
  const message = events.find(
    (r) => r.event.type === "message.posted" && r.event.id === started?.payload.messageId,
  )?.event as Envelope<"message.posted"> | undefined;
  if (!started || !message)
    return {
      ok: false,
      events: events.length,
      decisions: 0,
      divergences: [
        {
          kind: "unsupported",
          type: "turn.started",
          id: "",
          detail: "the turn's start or message is not recorded",
        },
      ],
    };
  const divergences: Divergence[] = [];
  const runner = createStrategyRunner();
  const decided: AnyEnvelope[] = [];
  const asked = new Set<string>();
  const answered = new Set<string>();
  const take = (emit: AnyEnvelope[]) => {
    for (const e of emit) {
      if (e.type === "work.llm") asked.add(e.id);
      else decided.push(e);
    }
  };
  const agents = input.agents ?? agentsOfTurn(events);
  const opened = await openTurn({
    runner,
    state: { ...emptyState(message.groupId) } satisfies GroupState,
    message: { ...message, turnId: started.turnId },
    seq: started.payload.messageSeq,
    agents,
    group: { strategy: input.strategy, settings: input.settings },
    memory: { plan: null, turn: noMemory([]) },
    defaults: input.defaults ?? { turnTimeoutMs: 120_000, maxAgentSteps: 50, voteDeadlineMs: 60_000 },
    now: new Date(started.at),
  });
  let state = opened.state;
  take(opened.emit);
  for (const { seq, event: e } of events) {
    if (e.type === "agent.tool_requested") {
      divergences.push({
        kind: "unsupported",
        type: e.type,
        id: e.id,
        detail: "tool loops are not re-driven",
      });
      continue;
    }
    if (e.type !== "agent.replied" && e.type !== "agent.failed") continue;
    if (!e.causationId || !asked.has(e.causationId)) {
      divergences.push({
        kind: "missing",
        type: "work.llm",
        id: e.causationId ?? "",
        detail: `${e.payload.agentName} answered an ask not made now`,
      });
      continue;
    }
    answered.add(e.causationId);
    const d = await settleAnswer(runner, state, e, new Date(e.at), seq);
    if (!d) continue;
    state = d.state;
    take(d.emit);
  }
  for (const id of asked)
    if (!answered.has(id))
      divergences.push({ kind: "unanswered", type: "work.llm", id, detail: "asked now, no recorded answer" });

  const recorded = events.map((r) => r.event).filter((e) => DECIDED.has(e.type));
  const now = new Map(decided.filter((e) => DECIDED.has(e.type)).map((e) => [e.id, e]));
  const seen = new Set<string>();
  for (const r of recorded) {
    seen.add(r.id);
    const n = now.get(r.id);
    if (!n) divergences.push({ kind: "missing", type: r.type, id: r.id, recorded: r.payload });
    else if (n.type !== r.type || canonical(n.payload) !== canonical(r.payload))
      divergences.push({
        kind: "changed",
        type: r.type,
        id: r.id,
        recorded: r.payload,
        now: n.payload,
        ...(n.type !== r.type ? { detail: `now ${n.type}` } : {}),
      });
  }
  for (const [id, n] of now)
    if (!seen.has(id)) divergences.push({ kind: "extra", type: n.type, id, now: n.payload });
  return { ok: divergences.length === 0, events: events.length, decisions: recorded.length, divergences };
}

/**
 * The turn's seated agents in seat order, as the recorded events know them: ids from `turn.started`,
 * names from the events they appear in. Their settings beyond id and name are not recorded here; the
 * strategies decide on ids, names and seats only.
 */
export function agentsOfTurn(events: readonly RecordedEvent[]): AgentSnapshot[] {
  const started = events.find((r) => r.event.type === "turn.started")?.event as
    | Envelope<"turn.started">
    | undefined;
  const names = new Map<string, string>();
  for (const { event: e } of events) {
    const p = e.payload as { agentId?: unknown; agentName?: unknown };
    if (typeof p.agentId === "string" && typeof p.agentName === "string") names.set(p.agentId, p.agentName);
    if (e.actor.kind === "agent" && e.actor.name) names.set(e.actor.id, e.actor.name);
  }
  return (started?.payload.agentIds ?? []).map((id) => ({
    id,
    name: names.get(id) ?? id,
    provider: "scripted",
    model: "recorded",
    systemPrompt: "",
    allowedTools: [],
    scripted: {},
  }));
}

/** JSON with sorted keys and the clock's stamps left out, to compare payloads. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (key, value) => {
    if (CLOCK_FIELDS.has(key)) return undefined;
    if (value && typeof value === "object" && !Array.isArray(value))
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    return value;
  });
}
