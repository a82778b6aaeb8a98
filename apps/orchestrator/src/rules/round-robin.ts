import { AppError } from "@conclave/errors";
import { requireInt } from "./require-limit.js";
import type { RosterAgent } from "./roster.js";

/** One slot of a round-robin turn; `round` and `seat` are 1-based, `position` is the 0-based index in the order. */
export interface RoundRobinSlot {
  readonly agentId: string;
  readonly name: string;
  readonly round: number;
  readonly seat: number;
  readonly position: number;
  /** E.g. "round 2, seat 3", for the `speaker.selected` event. */
  readonly reason: string;
}

/** The next step of a round-robin turn: a speaker, who sees the `previousAnswers` given before it, or the end. */
export type RoundRobinStep =
  | {
      readonly kind: "speak";
      readonly slot: RoundRobinSlot;
      readonly previousAnswers: number;
      readonly reason: string;
    }
  | { readonly kind: "done"; readonly reason: string };

/** Every slot of a round-robin turn: the roster in seat order, `rounds` times over. */
export function roundRobinOrder(roster: readonly RosterAgent[], rounds: number): RoundRobinSlot[] {
  requireInt(rounds, "rounds", 1);
  return Array.from({ length: rounds }, (_, r) =>
    roster.map((agent, s) => ({
      agentId: agent.id,
      name: agent.name,
      round: r + 1,
      seat: s + 1,
      position: r * roster.length + s,
      reason: `round ${r + 1}, seat ${s + 1}`,
    })),
  ).flat();
}

/**
 * The next speaker after `history` (the agents that took their slot, answered or failed, in order).
 * A history that is not a prefix of the order is a corrupted turn state, so it throws rather than guess.
 */
export function nextRoundRobin(input: {
  roster: readonly RosterAgent[];
  rounds: number;
  history: readonly string[];
}): RoundRobinStep {
  const order = roundRobinOrder(input.roster, input.rounds);
  const diverged = input.history.findIndex((id, i) => order[i]?.agentId !== id);
  if (diverged >= 0) {
    throw new AppError(
      "internal",
      `round-robin history diverges at position ${diverged}: expected ${order[diverged]?.agentId ?? "the end"}, got ${input.history[diverged]}`,
    );
  }
  const slot = order[input.history.length];
  if (!slot) {
    const reason =
      input.roster.length === 0
        ? "round robin done: no agents"
        : `round robin done: ${input.rounds} round${input.rounds === 1 ? "" : "s"} of ${input.roster.length}`;
    return { kind: "done", reason };
  }
  return { kind: "speak", slot, previousAnswers: input.history.length, reason: slot.reason };
}
