import { assertNever } from "@conclave/errors";
import { requireInt, requireRange } from "./require-limit.js";

/** One agent's vote in a `debate_vote` round; a null `choice` is an abstention. */
export interface Ballot {
  readonly agentId: string;
  readonly choice: string | null;
  /** How sure the voter is, 0..1; out-of-range values are clamped and NaN counts as 0. */
  readonly confidence: number;
  readonly rationale: string;
  /** Where the ballot stands in the vote stream (e.g. the stream seq of its `vote.cast`): a voter's lowest counts. */
  readonly order: number;
}

/** An agent allowed to vote, with its seat (the seat breaks ties between choices, lowest first). */
export interface Voter {
  readonly agentId: string;
  readonly seat: number;
}

/** When a choice wins: more than half of the votes cast, at least `threshold` of them (0.5 < t ≤ 1), or all. */
export type VoteRule =
  | { readonly kind: "majority" }
  | { readonly kind: "supermajority"; readonly threshold: number }
  | { readonly kind: "unanimous" };

/** How many eligible voters must cast a non-abstaining vote: a number of them, or a share (0..1) of them. */
export type Quorum =
  | { readonly kind: "count"; readonly min: number }
  | { readonly kind: "share"; readonly min: number };

/** The votes one choice received; `share` is of the votes cast, `voters` are in seat order. */
export interface ChoiceTally {
  readonly choice: string;
  readonly count: number;
  readonly share: number;
  readonly meanConfidence: number;
  readonly totalConfidence: number;
  /** The lowest seat that voted for this choice. */
  readonly firstSeat: number;
  readonly voters: readonly string[];
}

/** The tie-break level that separated the leader from the other choices tied on count. */
export type TieBreakLevel = "mean_confidence" | "first_seat" | "choice";

/** How a tie on count at the top was broken: the tied choices in their final order, and the deciding level. */
export interface TieBreak {
  readonly tied: readonly string[];
  readonly by: TieBreakLevel;
}

/** Who voted: `voted` cast a choice, `abstained` sent an abstention, `missing` sent nothing (counted as abstaining). */
export interface Turnout {
  readonly eligible: number;
  readonly voted: number;
  readonly abstained: number;
  readonly missing: readonly string[];
  /** `voted` over `eligible`, 0 when no one is eligible. */
  readonly share: number;
}

/** A ballot that did not count, and why. */
export interface IgnoredBallot {
  readonly ballot: Ballot;
  readonly why: "ineligible" | "duplicate";
}

/** Why no consensus was reached. */
export type TallyFailure = "no_quorum" | "no_votes" | "tie" | "no_majority" | "no_supermajority" | "dissent";

/** The outcome: a winner with the share of votes cast it won, or a failure code. */
export type TallyOutcome =
  | {
      readonly consensus: "reached";
      readonly code: VoteRule["kind"];
      readonly winner: string;
      readonly confidence: number;
    }
  | {
      readonly consensus: "failed";
      readonly code: TallyFailure;
      readonly winner: null;
      readonly confidence: null;
    };

/** A counted vote: the outcome, every choice ranked, turnout, quorum, what was ignored, and a readable reason. */
export type TallyResult = TallyOutcome & {
  readonly rule: VoteRule;
  /** Ranked by count, then by the tie-break order; the first is the leader even when nothing was reached. */
  readonly choices: readonly ChoiceTally[];
  readonly leader: string | null;
  /** Set when the leader shares the top count with another choice. */
  readonly tieBreak: TieBreak | null;
  readonly turnout: Turnout;
  readonly quorum: { readonly required: number; readonly met: boolean };
  readonly ignored: readonly IgnoredBallot[];
  readonly reason: string;
};

/** The rule used where a group sets none. */
export const DEFAULT_VOTE_RULE: VoteRule = { kind: "majority" };

/** The quorum used where a group sets none: one vote. */
export const DEFAULT_QUORUM: Quorum = { kind: "count", min: 1 };

// Confidences are summed as integer millionths: exact, so neither ballot order nor float noise can move a tie.
const SCALE = 1_000_000;

interface Pile {
  choice: string;
  count: number;
  micros: number;
  firstSeat: number;
  voters: { agentId: string; seat: number }[];
}

/**
 * Counts the ballots of one vote, at its deadline or once everyone voted: a missing ballot counts as an
 * abstention. Ballots of non-eligible agents are ignored; of several ballots by one voter the lowest
 * `order` counts (an equal `order` is settled by content, so the input order never matters).
 *
 * Ties: choices tied on count are ordered by highest mean confidence, then the lowest seat that voted for
 * them, then the choice's code-unit order. (Highest total confidence is not a separate level: among
 * choices with equal counts it orders exactly as the mean does.) A tie-break only names the `leader`;
 * it never makes a winner, because a choice sharing the top count can have neither more than half of the
 * votes cast, nor a threshold above half, nor all of them: a tie at the top fails with `tie` (with
 * `dissent` under `unanimous`), and `leader` and `tieBreak` tell a next round or a runoff where it stood.
 */
export function tally(input: {
  ballots: readonly Ballot[];
  voters: readonly Voter[];
  rule?: VoteRule;
  quorum?: Quorum;
}): TallyResult {
  const rule = input.rule ?? DEFAULT_VOTE_RULE;
  const quorum = input.quorum ?? DEFAULT_QUORUM;
  checkRule(rule);
  const seats = new Map<string, number>();
  for (const v of input.voters) if (!seats.has(v.agentId)) seats.set(v.agentId, v.seat);

  const ignored: IgnoredBallot[] = [];
  const counted = new Map<string, Ballot>();
  for (const ballot of [...input.ballots].sort(byOrder)) {
    if (!seats.has(ballot.agentId)) ignored.push({ ballot, why: "ineligible" });
    else if (counted.has(ballot.agentId)) ignored.push({ ballot, why: "duplicate" });
    else counted.set(ballot.agentId, ballot);
  }

  const piles = new Map<string, Pile>();
  let abstained = 0;
  for (const [agentId, ballot] of counted) {
    const seat = seats.get(agentId) ?? 0;
    if (ballot.choice === null) {
      abstained++;
      continue;
    }
    const pile = piles.get(ballot.choice) ?? {
      choice: ballot.choice,
      count: 0,
      micros: 0,
      firstSeat: seat,
      voters: [],
    };
    pile.count++;
    pile.micros += Math.round(clamp(ballot.confidence) * SCALE);
    pile.firstSeat = Math.min(pile.firstSeat, seat);
    pile.voters.push({ agentId, seat });
    piles.set(ballot.choice, pile);
  }

  const ranked = [...piles.values()].sort((a, b) => b.count - a.count || tieOrder(a, b));
  const voted = ranked.reduce((n, p) => n + p.count, 0);
  const choices = ranked.map((p) => toChoice(p, voted));
  const eligible = seats.size;
  const missing = [...seats]
    .filter(([id]) => !counted.has(id))
    .sort(([a, sa], [b, sb]) => sa - sb || compareText(a, b))
    .map(([id]) => id);
  const turnout: Turnout = {
    eligible,
    voted,
    abstained,
    missing,
    share: eligible === 0 ? 0 : voted / eligible,
  };
  const required = requiredVotes(quorum, eligible);
  const top = ranked[0];
  const tied = top ? ranked.filter((p) => p.count === top.count) : [];
  const tieBreak: TieBreak | null =
    top && tied.length > 1
      ? {
          tied: tied.map((p) => p.choice),
          by: tied.slice(1).reduce((by, p) => deeper(by, tieLevel(top, p)), first),
        }
      : null;
  const base = {
    rule,
    choices,
    leader: top?.choice ?? null,
    tieBreak,
    turnout,
    quorum: { required, met: voted >= required },
    ignored,
  };
  const outcome = decide(rule, ranked, voted, required, eligible, tieBreak);
  return { ...base, ...outcome };
}

/** Whether every eligible voter has sent a ballot (an abstention counts), so the vote may close before its deadline. */
export function allVoted(ballots: readonly Ballot[], voters: readonly Voter[]): boolean {
  const sent = new Set(ballots.map((b) => b.agentId));
  return voters.every((v) => sent.has(v.agentId));
}

function decide(
  rule: VoteRule,
  ranked: readonly Pile[],
  voted: number,
  required: number,
  eligible: number,
  tieBreak: TieBreak | null,
): TallyOutcome & { reason: string } {
  const fail = (code: TallyFailure, reason: string) =>
    ({ consensus: "failed", code, winner: null, confidence: null, reason }) as const;
  const top = ranked[0];
  if (voted < required) {
    return fail("no_quorum", `no quorum: ${voted} of ${eligible} eligible voted, ${required} required`);
  }
  if (!top) return fail("no_votes", `no votes cast: all ${eligible} eligible abstained or were missing`);
  const of = `${top.count} of ${voted} vote${voted === 1 ? "" : "s"} cast (${percent(top.count / voted)})`;
  const turnout = `${voted} of ${eligible} eligible voted`;
  const win = (reason: string) =>
    ({
      consensus: "reached",
      code: rule.kind,
      winner: top.choice,
      confidence: top.count / voted,
      reason,
    }) as const;
  if (tieBreak && rule.kind !== "unanimous") {
    const names = tieBreak.tied.map(quote);
    return fail(
      "tie",
      `tie: ${names.join(", ")} have ${top.count} of ${voted} votes each; leader ${quote(top.choice)} by ${LEVEL_TEXT[tieBreak.by]}`,
    );
  }
  switch (rule.kind) {
    case "majority":
      return top.count * 2 > voted
        ? win(`${quote(top.choice)} won ${of}, a majority; ${turnout}`)
        : fail("no_majority", `no majority: leader ${quote(top.choice)} has ${of}, more than half needed`);
    case "supermajority":
      // Both sides are correctly rounded quotients, so 2 of 3 meets a threshold written as 2/3 exactly.
      return top.count / voted >= rule.threshold
        ? win(`${quote(top.choice)} won ${of}, at least ${percent(rule.threshold)}; ${turnout}`)
        : fail(
            "no_supermajority",
            `no supermajority: leader ${quote(top.choice)} has ${of}, ${percent(rule.threshold)} needed`,
          );
    case "unanimous":
      return ranked.length === 1
        ? win(
            `${quote(top.choice)} won all ${voted} vote${voted === 1 ? "" : "s"} cast, unanimous; ${turnout}`,
          )
        : fail("dissent", `dissent: ${ranked.length} choices among ${voted} votes cast, unanimity needed`);
    default:
      return assertNever(rule, "vote rule");
  }
}

const first: TieBreakLevel = "mean_confidence";
const LEVELS: readonly TieBreakLevel[] = ["mean_confidence", "first_seat", "choice"];
const LEVEL_TEXT: Record<TieBreakLevel, string> = {
  mean_confidence: "mean confidence",
  first_seat: "lowest seat",
  choice: "choice order",
};

/** The tie-break order of two piles with equal counts: negative when `a` ranks first. */
function tieOrder(a: Pile, b: Pile): number {
  // Cross-multiplied integers compare the means exactly.
  return (
    b.micros * a.count - a.micros * b.count || a.firstSeat - b.firstSeat || compareText(a.choice, b.choice)
  );
}

/** The first level at which two tied piles differ. */
function tieLevel(a: Pile, b: Pile): TieBreakLevel {
  if (b.micros * a.count !== a.micros * b.count) return "mean_confidence";
  if (a.firstSeat !== b.firstSeat) return "first_seat";
  return "choice";
}

function deeper(a: TieBreakLevel, b: TieBreakLevel): TieBreakLevel {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b;
}

function toChoice(p: Pile, voted: number): ChoiceTally {
  return {
    choice: p.choice,
    count: p.count,
    share: p.count / voted,
    meanConfidence: p.micros / p.count / SCALE,
    totalConfidence: p.micros / SCALE,
    firstSeat: p.firstSeat,
    voters: [...p.voters]
      .sort((a, b) => a.seat - b.seat || compareText(a.agentId, b.agentId))
      .map((v) => v.agentId),
  };
}

function requiredVotes(quorum: Quorum, eligible: number): number {
  switch (quorum.kind) {
    case "count":
      return requireInt(quorum.min, "quorum.min", 0);
    case "share":
      requireRange(quorum.min, "quorum.min", 0, 1);
      // The epsilon keeps 0.6 × 5 = 3.0000000000000004 from demanding 4 voters.
      return Math.max(0, Math.ceil(quorum.min * eligible - 1e-9));
    default:
      return assertNever(quorum, "quorum");
  }
}

function checkRule(rule: VoteRule): void {
  // Above one half, at most one choice can meet the threshold, so a tie-break never picks a winner.
  if (rule.kind === "supermajority") requireRange(rule.threshold, "rule.threshold", 0.5, 1, true);
}

/** Ballot order, then content, so duplicates resolve the same whatever order they arrive in. */
function byOrder(a: Ballot, b: Ballot): number {
  return (
    a.order - b.order ||
    compareText(a.agentId, b.agentId) ||
    compareText(a.choice ?? "", b.choice ?? "") ||
    Number(a.choice !== null) - Number(b.choice !== null) ||
    clamp(a.confidence) - clamp(b.confidence) ||
    compareText(a.rationale, b.rationale)
  );
}

function clamp(confidence: number): number {
  return Number.isNaN(confidence) ? 0 : Math.min(1, Math.max(0, confidence));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function quote(choice: string): string {
  return JSON.stringify(choice);
}
