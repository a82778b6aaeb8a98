import type { StreamDelta, StreamEvent } from "../api/types.js";

/** One line of the room, derived from the group's events. */
export type Entry =
  | {
      kind: "message";
      seq: number;
      id: string;
      turnId: string | null;
      author: string;
      content: string;
      at: string;
    }
  | {
      kind: "reply";
      seq: number;
      id: string;
      turnId: string | null;
      agentId: string;
      agentName: string;
      content: string;
      model: string;
      latencyMs: number;
      at: string;
    }
  | { kind: "speaker"; seq: number; turnId: string | null; agentName: string; rule: string; reason: string }
  | {
      kind: "tool";
      seq: number;
      turnId: string | null;
      key: string;
      name: string;
      args: unknown;
      agentName: string;
      /** waiting: a person must decide; requested: it runs; then how it ended. */
      status: "requested" | "waiting" | "approved" | "denied" | "ok" | "failed";
      result?: unknown;
      error?: string;
    }
  | { kind: "vote"; seq: number; turnId: string | null; voteId: string; question: string; vote: VoteState }
  | {
      kind: "turn";
      seq: number;
      turnId: string | null;
      status: "started" | "completed" | "failed";
      detail: string;
    }
  | { kind: "note"; seq: number; turnId: string | null; text: string };

export interface Ballot {
  agentName: string;
  choice: string | null;
  confidence: number;
  rationale: string;
}

export interface VoteState {
  options: { choice: string; summary: string }[];
  voters: number;
  ballots: Ballot[];
  closed: null | {
    winner: string | null;
    outcome: string;
    reason: string;
    choices: { choice: string; count: number; share: number }[];
  };
  consensus: null | { reached: boolean; text: string };
}

/** Tokens of one LLM call as they arrive, shown on the speaker's line until the reply lands. */
export interface Streaming {
  workId: string;
  agentId: string;
  agentName: string;
  turnId: string | null;
  text: string;
  next: number;
}

export interface Transcript {
  /** The last stream seq applied: resume after it, and ignore anything at or below it. */
  lastSeq: number;
  entries: Entry[];
  streaming: Streaming[];
  /** Calls whose outcome was seen: a late token of theirs is dropped. */
  finished: string[];
  /** Agent names by id, learnt from the events (deltas carry only ids). */
  names: Record<string, string>;
  /** Ballots open in these turns: their tokens are JSON, not speech. */
  voting: string[];
  running: boolean;
}

export const emptyTranscript = (): Transcript => ({
  lastSeq: 0,
  entries: [],
  streaming: [],
  finished: [],
  names: {},
  voting: [],
  running: false,
});

type Payload = Record<string, unknown>;
const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);
const num = (v: unknown, fallback = 0): number => (typeof v === "number" ? v : fallback);
const FINISHED_KEPT = 200;

/** Applies one stored event; an event at or below `lastSeq` was applied already and changes nothing. */
export function applyEvent(t: Transcript, seq: number, event: StreamEvent): Transcript {
  if (seq <= t.lastSeq) return t;
  const p = event.payload as Payload;
  const turnId = event.turnId;
  const base = { seq, turnId };
  const next: Transcript = { ...t, lastSeq: seq };
  const push = (e: Entry) => {
    next.entries = [...next.entries, e];
  };
  const agentId = str(p.agentId);
  const agentName = str(p.agentName) || t.names[agentId] || "agent";
  if (agentId && str(p.agentName)) next.names = { ...t.names, [agentId]: str(p.agentName) };
  const updateTool = (key: string, change: Partial<Extract<Entry, { kind: "tool" }>>) => {
    next.entries = next.entries.map((e) => (e.kind === "tool" && e.key === key ? { ...e, ...change } : e));
  };
  const updateVote = (voteId: string, change: (v: VoteState) => VoteState) => {
    next.entries = next.entries.map((e) =>
      e.kind === "vote" && e.voteId === voteId ? { ...e, vote: change(e.vote) } : e,
    );
  };
  const endCall = () => {
    if (!event.causationId) return;
    const workId = event.causationId;
    next.streaming = t.streaming.filter((s) => s.workId !== workId);
    next.finished = [...t.finished, workId].slice(-FINISHED_KEPT);
  };

  switch (event.type) {
    case "message.posted":
      push({
        kind: "message",
        ...base,
        id: event.id,
        author: event.actor.name ?? (event.actor.kind === "user" ? "You" : event.actor.id),
        content: str(p.content),
        at: event.at,
      });
      break;
    case "turn.started":
      next.running = true;
      push({ kind: "turn", ...base, status: "started", detail: `strategy ${str(p.strategy)}` });
      break;
    case "speaker.selected":
      push({ kind: "speaker", ...base, agentName, rule: str(p.rule), reason: str(p.reason) });
      break;
    case "agent.replied":
      endCall();
      // A ballot is shown as the vote's, and a selector's pick as the speaker choice it makes.
      if (p.purpose === "ballot" || p.purpose === "select") break;
      push({
        kind: "reply",
        ...base,
        id: event.id,
        agentId,
        agentName,
        content: str(p.content),
        model: str(p.model),
        latencyMs: num(p.latencyMs),
        at: event.at,
      });
      break;
    case "agent.failed":
      endCall();
      push({ kind: "note", ...base, text: `${agentName} could not answer: ${str(p.error)}` });
      break;
    case "agent.tool_requested": {
      endCall();
      if (str(p.content).trim())
        push({
          kind: "reply",
          ...base,
          id: event.id,
          agentId,
          agentName,
          content: str(p.content),
          model: str(p.model),
          latencyMs: 0,
          at: event.at,
        });
      const calls = Array.isArray(p.calls) ? (p.calls as Payload[]) : [];
      for (const c of calls)
        push({
          kind: "tool",
          ...base,
          key: str(c.key),
          name: str(c.name),
          args: c.args,
          agentName,
          status: "requested",
        });
      break;
    }
    case "tool.approval_requested": {
      const key = str(p.key);
      if (next.entries.some((e) => e.kind === "tool" && e.key === key))
        updateTool(key, { status: "waiting" });
      else
        push({ kind: "tool", ...base, key, name: str(p.name), args: p.args, agentName, status: "waiting" });
      break;
    }
    case "tool.approved":
      updateTool(str(p.key), { status: "approved" });
      break;
    case "tool.denied":
      updateTool(str(p.key), { status: "denied" });
      break;
    case "tool.completed": {
      const error = p.error as Payload | undefined;
      updateTool(str(p.key), {
        status: p.ok === true ? "ok" : "failed",
        result: p.result,
        ...(error ? { error: str(error.message) } : {}),
      });
      break;
    }
    case "vote.opened": {
      if (turnId) next.voting = [...t.voting, turnId];
      const options = Array.isArray(p.options) ? (p.options as Payload[]) : [];
      push({
        kind: "vote",
        ...base,
        voteId: str(p.voteId),
        question: str(p.question),
        vote: {
          options: options.map((o) => ({ choice: str(o.choice), summary: str(o.summary) })),
          voters: Array.isArray(p.voters) ? p.voters.length : 0,
          ballots: [],
          closed: null,
          consensus: null,
        },
      });
      break;
    }
    case "vote.cast":
      updateVote(str(p.voteId), (v) => ({
        ...v,
        ballots: [
          ...v.ballots,
          {
            agentName,
            choice: typeof p.choice === "string" ? p.choice : null,
            confidence: num(p.confidence),
            rationale: str(p.rationale),
          },
        ],
      }));
      break;
    case "vote.closed": {
      if (turnId) next.voting = t.voting.filter((id) => id !== turnId);
      const choices = Array.isArray(p.choices) ? (p.choices as Payload[]) : [];
      updateVote(str(p.voteId), (v) => ({
        ...v,
        closed: {
          winner: typeof p.winner === "string" ? p.winner : null,
          outcome: str(p.outcome),
          reason: str(p.reason),
          choices: choices.map((c) => ({ choice: str(c.choice), count: num(c.count), share: num(c.share) })),
        },
      }));
      break;
    }
    case "consensus.reached":
      updateVote(str(p.voteId), (v) => ({
        ...v,
        consensus: {
          reached: true,
          text: `Consensus: ${str(p.choice)} (${Math.round(num(p.confidence) * 100)}% of the votes)`,
        },
      }));
      break;
    case "consensus.failed":
      updateVote(str(p.voteId), (v) => ({
        ...v,
        consensus: { reached: false, text: `No consensus: ${str(p.reason)}` },
      }));
      break;
    case "guard.triggered":
      push({ kind: "note", ...base, text: `Guard ${str(p.code)}: ${str(p.reason)}` });
      break;
    case "turn.completed":
    case "turn.failed": {
      next.running = false;
      next.streaming = next.streaming.filter((s) => s.turnId !== turnId);
      if (turnId) next.voting = next.voting.filter((id) => id !== turnId);
      const failed = event.type === "turn.failed";
      push({
        kind: "turn",
        ...base,
        status: failed ? "failed" : "completed",
        detail: failed
          ? `${str(p.reason)}${str(p.detail) ? `: ${str(p.detail)}` : ""}`
          : `in ${(num(p.durationMs) / 1000).toFixed(1)} s`,
      });
      break;
    }
    case "memory.updated":
      push({ kind: "note", ...base, text: `Memory block "${str(p.label)}" updated` });
      break;
    case "budget.exceeded":
    case "budget.warning":
      push({
        kind: "note",
        ...base,
        text: `Budget: ${event.type === "budget.exceeded" ? "exceeded" : "warning"}`,
      });
      break;
    default:
      break;
  }
  return next;
}

/** Adds a token to its call's line; a token of a finished call, a repeated or a ballot's one is dropped. */
export function applyDelta(t: Transcript, d: StreamDelta): Transcript {
  if (t.finished.includes(d.workId)) return t;
  if (d.turnId && t.voting.includes(d.turnId)) return t;
  const at = t.streaming.findIndex((s) => s.workId === d.workId);
  const current = t.streaming[at];
  if (current && d.index < current.next) return t;
  const line: Streaming = current
    ? { ...current, text: current.text + d.text, next: d.index + 1 }
    : {
        workId: d.workId,
        agentId: d.agentId,
        agentName: t.names[d.agentId] ?? "agent",
        turnId: d.turnId,
        text: d.text,
        next: d.index + 1,
      };
  const streaming = current ? t.streaming.map((s, i) => (i === at ? line : s)) : [...t.streaming, line];
  return { ...t, streaming };
}

/** Names agents the events have not introduced yet (the group's roster). */
export function withNames(t: Transcript, names: Record<string, string>): Transcript {
  return { ...t, names: { ...names, ...t.names } };
}
