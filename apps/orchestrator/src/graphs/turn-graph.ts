import {
  type AskPurpose,
  type ConversationMessage,
  deriveEventId,
  type StrategyName,
  type VoteCast,
  type VoteClosed,
  type VoteOpened,
} from "@conclave/subjects";
import { Annotation, END, interrupt, START, StateGraph } from "@langchain/langgraph";
import {
  type Ballot,
  decideSelection,
  type MentionLimits,
  nextRoundRobin,
  type Quorum,
  routeMentions,
  type SelectorLimits,
  tally,
  type VoteRule,
} from "../rules/index.js";
import {
  answerMessages,
  ballotMessages,
  type Option,
  type Prompt,
  readBallot,
  type Said,
  selectMessages,
} from "./prompts.js";

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

interface VoteState {
  voteId: string;
  options: Option[];
  ballots: Ballot[];
  deadline: string;
  closedBy: "all_voted" | "deadline" | null;
}

interface Out {
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

type S = typeof TurnState.State;
type U = typeof TurnState.Update;

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
class Step {
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
function said(s: S, except?: string): Said[] {
  return s.answers
    .filter((a) => a.ok && a.purpose === "reply" && a.agentId !== except)
    .map((a) => ({ name: a.name, content: a.content }));
}

/** Each speaker's latest answer, in seat order, except `except`'s own (what a debate round weighs). */
function latestBySpeaker(s: S, except?: string): Said[] {
  const last = new Map<string, Said>();
  for (const a of s.answers)
    if (a.ok && a.purpose === "reply" && a.agentId !== except)
      last.set(a.agentId, { name: a.name, content: a.content });
  return s.spec.speakers.flatMap((sp) => last.get(sp.id) ?? []);
}

function seatOf(s: S, id: string): Seat | undefined {
  return (
    s.spec.speakers.find((a) => a.id === id) ?? (s.spec.selector?.id === id ? s.spec.selector : undefined)
  );
}

const finish = (s: S): U => {
  const step = new Step(s);
  step.emit({ kind: "end", ok: true });
  return step.update();
};

/** Waits for the next event; a reply to an awaited ask is recorded (a ballot is read and cast). */
function wait(s: S): U {
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

const stillWaiting = (s: S) => Object.keys(s.waiting).length > 0;

// ---- broadcast and the opening of a debate ----------------------------------------------------

function askEveryone(s: S, selected?: Extract<Intent, { kind: "ask" }>["selected"]): U {
  const step = new Step(s);
  for (const agent of s.spec.speakers)
    step.ask(agent, "reply", 0, answerMessages(s.spec.prompt, [], agent.name), selected);
  if (s.spec.speakers.length === 0) step.emit({ kind: "end", ok: true, detail: "no agents" });
  return step.update();
}

// ---- round robin ---------------------------------------------------------------------------------

function nextSpeaker(s: S, prefix = ""): U {
  const step = new Step(s);
  const next = nextRoundRobin({ roster: s.spec.speakers, rounds: s.spec.rounds, history: s.history });
  if (next.kind === "done") {
    step.emit({ kind: "end", ok: true, detail: next.reason });
    return step.update();
  }
  const agent = seatOf(s, next.slot.agentId) as Seat;
  const messages = answerMessages(s.spec.prompt, said(s), agent.name);
  step.ask(agent, "reply", next.slot.round, messages, {
    rule: "seat_order",
    reason: `${prefix}${next.reason}`,
  });
  return step.update({ history: [...s.history, agent.id], round: next.slot.round });
}

// ---- mentions ------------------------------------------------------------------------------------

function route(s: S): U {
  const step = new Step(s);
  const { maxHops, maxAlternations, fallback } = s.spec.mentions;
  const limits = { maxHops, maxAlternations };
  if (s.answers.length === 0) {
    const r = routeMentions({
      text: s.spec.prompt.content,
      roster: s.spec.speakers,
      from: { kind: "user", name: s.spec.prompt.name ?? "someone" },
      hopsUsed: 0,
      limits,
    });
    if (r.kind === "fallback") {
      if (fallback === "none") {
        step.emit({ kind: "end", ok: true, detail: `${r.reason}; no fallback` });
        return step.update();
      }
      const why = `${r.reason}; fallback: ${fallback}`;
      if (fallback === "round_robin")
        return { ...nextSpeaker({ ...s, spec: { ...s.spec, rounds: 1 } }, `${why}; `), mode: "round_robin" };
      const all = new Step(s);
      for (const agent of s.spec.speakers)
        all.ask(agent, "reply", 0, answerMessages(s.spec.prompt, [], agent.name), {
          rule: "fallback",
          reason: why,
        });
      if (s.spec.speakers.length === 0) all.emit({ kind: "end", ok: true, detail: "no agents" });
      return all.update({ mode: "broadcast" });
    }
    if (r.kind !== "route") {
      step.emit({ kind: "end", ok: true, detail: r.reason });
      return step.update();
    }
    const paths: Record<string, string[]> = {};
    const frontier: string[] = [];
    for (const t of r.targets) {
      const agent = seatOf(s, t.agent.id) as Seat;
      const ask = step.ask(agent, "reply", 0, answerMessages(s.spec.prompt, [], agent.name), {
        rule: "mention",
        reason: t.reason,
      });
      paths[ask.askId] = [agent.id];
      frontier.push(ask.askId);
    }
    return step.update({ paths, frontier });
  }
  // The last hop's answers, in the order they were asked, may hand off to other agents.
  let hops = s.hops;
  const paths: Record<string, string[]> = { ...s.paths };
  const frontier: string[] = [];
  const asked = new Set<string>();
  for (const askId of s.frontier) {
    const answer = s.answers.find((a) => a.askId === askId);
    const path = s.paths[askId];
    if (!answer?.ok || !path || path.length === 0) continue;
    const r = routeMentions({
      text: answer.content,
      roster: s.spec.speakers,
      from: { kind: "agent", path: path as [string, ...string[]] },
      hopsUsed: hops,
      limits,
    });
    if (r.kind === "route" || r.kind === "stop") {
      for (const b of r.blocked) step.guard(b.code, b.reason, b.agent.id);
      hops = r.hopsUsed;
    }
    if (r.kind !== "route") continue;
    for (const t of r.targets) {
      if (asked.has(t.agent.id)) continue;
      asked.add(t.agent.id);
      const agent = seatOf(s, t.agent.id) as Seat;
      const messages = answerMessages(s.spec.prompt, said(s), agent.name);
      const ask = step.ask(agent, "reply", 0, messages, { rule: "mention", reason: t.reason });
      paths[ask.askId] = [...path, agent.id];
      frontier.push(ask.askId);
    }
  }
  if (frontier.length === 0) step.emit({ kind: "end", ok: true, detail: "no further hand-offs" });
  return step.update({ hops, paths, frontier });
}

// ---- selector ------------------------------------------------------------------------------------

function askSelector(s: S): U {
  const step = new Step(s);
  const selector = s.spec.selector;
  if (!selector) {
    step.emit({
      kind: "end",
      ok: false,
      reason: "misconfigured",
      detail: "the selector strategy needs settings.selectorAgentId: an agent seated in the group",
    });
    return step.update();
  }
  const names = s.spec.speakers.map((a) => a.name);
  step.ask(selector, "select", 0, selectMessages(s.spec.prompt, said(s, selector.id), names));
  return step.update({ phase: "select" });
}

function decide(s: S): U {
  const step = new Step(s);
  const pick = s.answers.at(-1);
  if (!pick?.ok) {
    step.emit({ kind: "end", ok: true, detail: "the selector could not answer" });
    return step.update();
  }
  const d = decideSelection({
    pick: pick.content,
    roster: s.spec.speakers,
    history: s.history,
    invalidPicks: s.invalidPicks,
    limits: s.spec.selection,
  });
  switch (d.kind) {
    case "complete":
      step.emit({ kind: "end", ok: true, detail: d.reason });
      return step.update();
    case "stop":
      if (d.code === "no_agents")
        step.emit({ kind: "end", ok: false, reason: "misconfigured", detail: d.reason });
      else {
        step.guard(d.code, d.reason);
        step.emit({
          kind: "end",
          ok: false,
          reason: d.code === "max_steps" ? "limit" : "guard",
          detail: d.reason,
        });
      }
      return step.update();
    case "retry": {
      step.guard("invalid_pick", d.reason);
      const retried = askSelector({ ...s, asked: step.asked, waiting: step.waiting });
      const items = [...step.items, ...((retried.out as Out).items ?? [])];
      return { ...retried, invalidPicks: s.invalidPicks + 1, out: { epoch: s.epoch, items } };
    }
    case "speak": {
      if (d.fallback) step.guard(d.fallback, d.reason, d.agent.id);
      const agent = seatOf(s, d.agent.id) as Seat;
      const messages = answerMessages(s.spec.prompt, said(s), agent.name);
      step.ask(agent, "reply", 0, messages, { rule: d.fallback ? "fallback" : "selector", reason: d.reason });
      return step.update({ history: [...s.history, agent.id], invalidPicks: 0, phase: "speak" });
    }
  }
}

// ---- debate and vote -----------------------------------------------------------------------------

function debateOrBallot(s: S): U {
  if (s.round < s.spec.rounds) {
    const step = new Step(s);
    const round = s.round + 1;
    for (const agent of s.spec.speakers) {
      const instruction = `Debate round ${round} of ${s.spec.rounds}. You are ${agent.name}. Weigh the other answers above against yours, then give your answer in full (revised or not).`;
      step.ask(
        agent,
        "reply",
        round,
        answerMessages(s.spec.prompt, latestBySpeaker(s, agent.id), agent.name, instruction),
      );
    }
    return step.update({ round });
  }
  const step = new Step(s);
  const options: Option[] = s.spec.speakers.flatMap((sp) => {
    const last = s.answers.filter((a) => a.agentId === sp.id && a.ok && a.purpose === "reply").at(-1);
    return last ? [{ choice: sp.name, agentId: sp.id, content: last.content }] : [];
  });
  if (options.length === 0) {
    step.emit({ kind: "end", ok: true, detail: "no answers to vote on" });
    return step.update();
  }
  const voteId = deriveEventId(s.spec.turnId, "vote");
  const deadline = new Date(Date.parse(s.at) + s.spec.voting.deadlineMs).toISOString();
  step.emit({
    kind: "vote.opened",
    payload: {
      voteId,
      question: s.spec.prompt.content.slice(0, 20_000),
      options: options.map((o) => ({
        choice: o.choice,
        agentId: o.agentId,
        summary: o.content.slice(0, 2000),
      })),
      voters: s.spec.speakers.map((a) => ({ agentId: a.id, agentName: a.name, seat: a.seat })),
      rule: s.spec.voting.rule,
      quorum: s.spec.voting.quorum,
      deadline,
    },
  });
  step.emit({ kind: "timer", key: `timer:vote:${voteId}`, dueAt: deadline, voteId });
  for (const agent of s.spec.speakers)
    step.ask(agent, "ballot", s.round, ballotMessages(s.spec.prompt, options, agent.name));
  return step.update({ vote: { voteId, options, ballots: [], deadline, closedBy: null } });
}

function closeVote(s: S): U {
  const step = new Step(s);
  const vote = s.vote as VoteState;
  const result = tally({
    ballots: vote.ballots,
    voters: s.spec.speakers.map((a) => ({ agentId: a.id, seat: a.seat })),
    rule: s.spec.voting.rule,
    quorum: s.spec.voting.quorum,
  });
  step.emit({
    kind: "vote.closed",
    payload: {
      voteId: vote.voteId,
      closedBy: vote.closedBy ?? "all_voted",
      winner: result.winner,
      leader: result.leader,
      outcome: result.consensus === "reached" ? `reached:${result.code}` : `failed:${result.code}`,
      reason: result.reason,
      choices: result.choices.map((c) => ({
        choice: c.choice,
        count: c.count,
        share: c.share,
        meanConfidence: c.meanConfidence,
        voters: [...c.voters],
      })),
      tieBreak: result.tieBreak ? { tied: [...result.tieBreak.tied], by: result.tieBreak.by } : null,
      turnout: {
        eligible: result.turnout.eligible,
        voted: result.turnout.voted,
        abstained: result.turnout.abstained,
        missing: [...result.turnout.missing],
      },
      quorum: result.quorum,
    },
  });
  if (result.consensus === "reached") {
    const answer = vote.options.find((o) => o.choice === result.winner)?.content;
    step.emit({
      kind: "consensus",
      reached: true,
      payload: {
        voteId: vote.voteId,
        choice: result.winner,
        confidence: result.confidence,
        rule: result.code,
        ...(answer !== undefined ? { answer } : {}),
      },
    });
  } else {
    const leaderShare = result.choices[0]?.share ?? 0;
    step.emit({
      kind: "consensus",
      reached: false,
      payload: {
        voteId: vote.voteId,
        code: result.code,
        reason: result.reason,
        leader: result.leader,
        confidence: leaderShare,
      },
    });
  }
  step.emit({ kind: "end", ok: true, detail: result.reason });
  return step.update({ vote: { ...vote, closedBy: vote.closedBy ?? "all_voted" } });
}

// ---- the graphs ----------------------------------------------------------------------------------

/** Builds the (uncompiled) graph of a strategy. Every graph waits in `wait`, resumed by one event at a time. */
export function strategyGraph(strategy: StrategyName) {
  const g = new StateGraph(TurnState);
  switch (strategy) {
    case "broadcast":
      return g
        .addNode("open", (s) => askEveryone(s))
        .addNode("wait", wait)
        .addNode("finish", finish)
        .addEdge(START, "open")
        .addConditionalEdges("open", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
        .addConditionalEdges("wait", (s) => (stillWaiting(s) ? "wait" : "finish"), ["wait", "finish"])
        .addEdge("finish", END);
    case "round_robin":
      return g
        .addNode("next", (s) => nextSpeaker(s))
        .addNode("wait", wait)
        .addEdge(START, "next")
        .addConditionalEdges("next", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
        .addConditionalEdges("wait", (s) => (stillWaiting(s) ? "wait" : "next"), ["wait", "next"]);
    case "mentions":
      return g
        .addNode("route", route)
        .addNode("next", (s) => nextSpeaker({ ...s, spec: { ...s.spec, rounds: 1 } }))
        .addNode("wait", wait)
        .addNode("finish", finish)
        .addEdge(START, "route")
        .addConditionalEdges("route", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
        .addConditionalEdges("next", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
        .addConditionalEdges(
          "wait",
          (s) =>
            stillWaiting(s)
              ? "wait"
              : s.mode === "mentions"
                ? "route"
                : s.mode === "round_robin"
                  ? "next"
                  : "finish",
          ["wait", "route", "next", "finish"],
        )
        .addEdge("finish", END);
    case "selector":
      return g
        .addNode("select", askSelector)
        .addNode("decide", decide)
        .addNode("wait", wait)
        .addEdge(START, "select")
        .addConditionalEdges("select", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
        .addConditionalEdges("decide", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
        .addConditionalEdges(
          "wait",
          (s) => (stillWaiting(s) ? "wait" : s.phase === "select" ? "decide" : "select"),
          ["wait", "decide", "select"],
        );
    case "debate_vote":
      return g
        .addNode("open", (s) => askEveryone(s))
        .addNode("debate", debateOrBallot)
        .addNode("close", closeVote)
        .addNode("wait", wait)
        .addEdge(START, "open")
        .addConditionalEdges("open", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
        .addConditionalEdges("debate", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
        .addConditionalEdges("wait", (s) => (stillWaiting(s) ? "wait" : s.vote ? "close" : "debate"), [
          "wait",
          "debate",
          "close",
        ])
        .addEdge("close", END);
  }
}
