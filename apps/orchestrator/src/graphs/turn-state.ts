import type {
  AskPurpose,
  ConversationMessage,
  StrategyName,
  VoteCast,
  VoteClosed,
  VoteOpened,
} from "@conclave/subjects";
import { Annotation, interrupt } from "@langchain/langgraph";
import type { Ballot, MentionLimits, Quorum, SelectorLimits, VoteRule } from "../rules/index.js";
import { type Option, type Prompt, readBallot, type Said } from "./prompts.js";

// The state every strategy's graph shares, and the building blocks their nodes are made of.

/** An agent in its seat (0-based, in seat order). */
export interface Seat {
  readonly id: string;
  readonly name: string;
  readonly seat: number;
}

/** Everything a strategy needs to run one turn, fixed when the turn starts. */
export interface TurnSpec {
  turnId: string;
  strategy: StrategyName;
  prompt: Prompt;
  /** The agents that may speak, in seat order (a selector agent is not among them). */
  speakers: Seat[];
  selector: Seat | null;
  /** Rounds of `round_robin`; rounds of debate after the opening answers of `debate_vote`. */
  rounds: number;
  mentions: MentionLimits & { fallback: "broadcast" | "round_robin" | "none" };
  selection: SelectorLimits;
  voting: { rule: VoteRule; quorum: Quorum; deadlineMs: number };
}

/** A question put to one agent; its reply carries `askId`. */
export interface Ask {
  askId: string;
  agentId: string;
  purpose: AskPurpose;
  round: number;
}

/** A reply (or failure) to an ask. */
export interface Answer extends Ask {
  name: string;
  ok: boolean;
  content: string;
  eventId: string;
}

/** What the graph decided; the turn engine turns each into an event or a work item with a derived id. */
export type Intent =
  | {
      kind: "ask";
      ask: Ask;
      messages: ConversationMessage[];
      /** Set when the strategy chose this speaker by a rule worth a `speaker.selected` event. */
      selected?: { rule: "seat_order" | "mention" | "selector" | "fallback"; reason: string };
    }
  | {
      kind: "guard";
      key: string;
      code: "hop_limit" | "ping_pong" | "repeat_guard" | "invalid_pick" | "max_steps" | "repeat_limit";
      reason: string;
      agentId?: string;
    }
  | { kind: "vote.opened"; payload: VoteOpened }
  | { kind: "vote.cast"; payload: VoteCast; causationId: string }
  | { kind: "vote.closed"; payload: VoteClosed }
  | {
      kind: "consensus";
      reached: boolean;
      payload: Record<string, unknown>;
    }
  | { kind: "timer"; key: string; dueAt: string; voteId: string }
  | { kind: "end"; ok: true; detail?: string }
  | { kind: "end"; ok: false; reason: "guard" | "limit" | "misconfigured"; detail: string };

/** An event resuming the graph: `n` numbers the resumes of the turn, `at` is the decision time. */
export type GraphInput = { n: number; at: string } & (
  | { kind: "reply"; answer: Omit<Answer, "purpose" | "round"> }
  | { kind: "deadline"; voteId: string }
);

export interface VoteState {
  voteId: string;
  options: Option[];
  ballots: Ballot[];
  deadline: string;
  closedBy: "all_voted" | "deadline" | null;
}

export interface Out {
  epoch: number;
  items: Intent[];
}

/** How much of one answer later speakers (and the checkpoint) keep; the whole answer is in its event. */
export const ANSWER_MAX_CHARS = 8_000;
/** How many answers a turn's graph keeps: a debate's latest round and a round robin's recent speakers. */
export const ANSWERS_KEPT = 64;

function cut(text: string): string {
  return text.length <= ANSWER_MAX_CHARS
    ? text
    : `${text.slice(0, ANSWER_MAX_CHARS)}… [cut: ${text.length} characters in all]`;
}

/** The graph state of a turn: the spec, the answers so far, who is awaited, and each strategy's own counters. */
export const TurnState = Annotation.Root({
  spec: Annotation<TurnSpec>,
  /** The resume being processed; intents are collected per resume. */
  epoch: Annotation<number>,
  at: Annotation<string>,
  out: Annotation<Out>({
    reducer: (a, b) => (b.epoch > a.epoch ? b : { epoch: a.epoch, items: [...a.items, ...b.items] }),
    default: () => ({ epoch: -1, items: [] }),
  }),
  waiting: Annotation<Record<string, Ask>>,
  /** The latest answers (at most ANSWERS_KEPT), each cut to ANSWER_MAX_CHARS: a checkpoint must stay well under 1 MB. */
  answers: Annotation<Answer[]>({ reducer: (a, b) => a.concat(b).slice(-ANSWERS_KEPT), default: () => [] }),
  asked: Annotation<number>,
  round: Annotation<number>,
  /** Speakers in the order they were picked (round robin, selector). */
  history: Annotation<string[]>,
  /** `mentions` only: the mode the turn fell back to, the hops used, each ask's hand-off path, the last hop's asks. */
  mode: Annotation<"mentions" | "broadcast" | "round_robin">,
  hops: Annotation<number>,
  paths: Annotation<Record<string, string[]>>,
  frontier: Annotation<string[]>,
  /** `selector` only: whether the selector or a speaker is awaited, and invalid picks in a row. */
  phase: Annotation<"select" | "speak">,
  invalidPicks: Annotation<number>,
  vote: Annotation<VoteState | null>,
});

export type S = typeof TurnState.State;
export type U = typeof TurnState.Update;

/** The state a turn's graph starts from. */
export function initialState(spec: TurnSpec, at: string): U {
  return {
    spec,
    epoch: 0,
    at,
    out: { epoch: 0, items: [] },
    waiting: {},
    answers: [],
    asked: 0,
    round: 0,
    history: [],
    mode: "mentions",
    hops: 0,
    paths: {},
    frontier: [],
    phase: "select",
    invalidPicks: 0,
    vote: null,
  };
}

// ---- building blocks --------------------------------------------------------------------------

/** Accumulates one node's asks and intents. */
export class Step {
  readonly items: Intent[] = [];
  readonly waiting: Record<string, Ask>;
  asked: number;
  constructor(private readonly s: S) {
    this.waiting = { ...s.waiting };
    this.asked = s.asked;
  }
  ask(
    agent: Seat,
    purpose: AskPurpose,
    round: number,
    messages: ConversationMessage[],
    selected?: Extract<Intent, { kind: "ask" }>["selected"],
  ): Ask {
    const ask: Ask = { askId: `a${this.asked++}`, agentId: agent.id, purpose, round };
    this.waiting[ask.askId] = ask;
    this.items.push({ kind: "ask", ask, messages, ...(selected ? { selected } : {}) });
    return ask;
  }
  emit(intent: Intent): void {
    this.items.push(intent);
  }
  guard(code: Extract<Intent, { kind: "guard" }>["code"], reason: string, agentId?: string): void {
    const key = `guard:${this.s.epoch}:${code}:${agentId ?? "-"}:${this.items.length}`;
    this.items.push({ kind: "guard", key, code, reason, ...(agentId ? { agentId } : {}) });
  }
  update(extra: U = {}): U {
    return {
      ...extra,
      waiting: this.waiting,
      asked: this.asked,
      out: { epoch: this.s.epoch, items: this.items },
    };
  }
}

/** Every answer kept (not ballots or picks, not failures), oldest first, except `except`'s own. */
export function said(s: S, except?: string): Said[] {
  return s.answers
    .filter((a) => a.ok && a.purpose === "reply" && a.agentId !== except)
    .map((a) => ({ name: a.name, content: a.content }));
}

/** Each speaker's latest answer, in seat order, except `except`'s own (what a debate round weighs). */
export function latestBySpeaker(s: S, except?: string): Said[] {
  const last = new Map<string, Said>();
  for (const a of s.answers)
    if (a.ok && a.purpose === "reply" && a.agentId !== except)
      last.set(a.agentId, { name: a.name, content: a.content });
  return s.spec.speakers.flatMap((sp) => last.get(sp.id) ?? []);
}

export function seatOf(s: S, id: string): Seat | undefined {
  return (
    s.spec.speakers.find((a) => a.id === id) ?? (s.spec.selector?.id === id ? s.spec.selector : undefined)
  );
}

export const finish = (s: S): U => {
  const step = new Step(s);
  step.emit({ kind: "end", ok: true });
  return step.update();
};

/** Waits for the next event; a reply to an awaited ask is recorded (a ballot is read and cast). */
export function wait(s: S): U {
  const input = interrupt<{ awaiting: string[] }, GraphInput>({ awaiting: Object.keys(s.waiting) });
  const base: U = { epoch: input.n, at: input.at, out: { epoch: input.n, items: [] } };
  if (input.kind === "deadline") {
    const vote = s.vote;
    if (!vote || vote.voteId !== input.voteId || vote.closedBy) return base;
    const waiting = Object.fromEntries(Object.entries(s.waiting).filter(([, a]) => a.purpose !== "ballot"));
    return { ...base, waiting, vote: { ...vote, closedBy: "deadline" } };
  }
  const ask = s.waiting[input.answer.askId];
  if (!ask || ask.agentId !== input.answer.agentId) return base;
  const { [ask.askId]: _done, ...waiting } = s.waiting;
  const answer: Answer = {
    ...input.answer,
    content:
      ask.purpose === "reply" ? cut(input.answer.content) : input.answer.content.slice(0, ANSWER_MAX_CHARS),
    purpose: ask.purpose,
    round: ask.round,
  };
  const update: U = { ...base, waiting, answers: [answer] };
  const vote = s.vote;
  if (ask.purpose === "ballot" && vote && !vote.closedBy && answer.ok) {
    const read = readBallot(answer.content, vote.options);
    const ballot: Ballot = {
      agentId: answer.agentId,
      choice: read.choice,
      confidence: read.confidence,
      rationale: read.rationale,
      order: vote.ballots.length,
    };
    const cast: Intent = {
      kind: "vote.cast",
      causationId: answer.eventId,
      payload: {
        voteId: vote.voteId,
        agentId: answer.agentId,
        agentName: answer.name,
        choice: read.choice,
        confidence: read.confidence,
        rationale: read.rationale,
        replyId: answer.eventId,
      },
    };
    const allIn = !Object.values(waiting).some((a) => a.purpose === "ballot");
    return {
      ...update,
      out: { epoch: input.n, items: [cast] },
      vote: { ...vote, ballots: [...vote.ballots, ballot], closedBy: allIn ? "all_voted" : null },
    };
  }
  if (
    ask.purpose === "ballot" &&
    vote &&
    !vote.closedBy &&
    !Object.values(waiting).some((a) => a.purpose === "ballot")
  ) {
    return { ...update, vote: { ...vote, closedBy: "all_voted" } };
  }
  return update;
}

export const stillWaiting = (s: S) => Object.keys(s.waiting).length > 0;
