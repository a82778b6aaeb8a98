import type { GroupSettings } from "@conclave/db";
import type { AgentSnapshot, StrategyName } from "@conclave/subjects";
import type { TurnSpec } from "../graphs/turn-graph.js";
import {
  DEFAULT_MENTION_LIMITS,
  DEFAULT_QUORUM,
  DEFAULT_SELECTOR_LIMITS,
  type VoteRule,
} from "../rules/index.js";

/** Deployment defaults for what a group's settings leave unset. */
export interface TurnDefaults {
  turnTimeoutMs: number;
  maxAgentSteps: number;
  /** How long a ballot stays open. */
  voteDeadlineMs: number;
}

/** The limits the turn engine enforces itself (the strategies enforce rounds, hops and picks). */
export interface TurnLimits {
  timeoutMs: number;
  maxAgentSteps: number;
  maxTokens: number | null;
}

/** A turn's spec and limits from the group's strategy, settings and seated agents (in seat order). */
export function turnSpecOf(input: {
  turnId: string;
  strategy: StrategyName;
  settings: GroupSettings;
  agents: readonly AgentSnapshot[];
  prompt: { name?: string; content: string };
  defaults: TurnDefaults;
}): { spec: TurnSpec; limits: TurnLimits } {
  const { settings, strategy } = input;
  const l = settings.turnLimits ?? {};
  const seats = input.agents.map((a, seat) => ({ id: a.id, name: a.name, seat }));
  const selector =
    strategy === "selector" ? (seats.find((a) => a.id === settings.selectorAgentId) ?? null) : null;
  const v = settings.voting ?? {};
  const rule: VoteRule =
    v.rule === "supermajority"
      ? { kind: "supermajority", threshold: v.threshold ?? 2 / 3 }
      : { kind: v.rule ?? "majority" };
  const spec: TurnSpec = {
    turnId: input.turnId,
    strategy,
    prompt: input.prompt,
    speakers: seats.filter((a) => a.id !== selector?.id),
    selector,
    // One by default: a round robin's one pass, or a debate's one round after the opening answers.
    rounds: l.maxRounds ?? 1,
    mentions: {
      maxHops: l.maxHops ?? DEFAULT_MENTION_LIMITS.maxHops,
      maxAlternations: l.maxAlternations ?? DEFAULT_MENTION_LIMITS.maxAlternations,
      fallback: settings.mentionFallback ?? "broadcast",
    },
    selection: {
      maxConsecutive: l.maxConsecutive ?? DEFAULT_SELECTOR_LIMITS.maxConsecutive,
      maxRetries: DEFAULT_SELECTOR_LIMITS.maxRetries,
      maxSteps: l.maxSteps ?? DEFAULT_SELECTOR_LIMITS.maxSteps,
    },
    voting: {
      rule,
      quorum: v.quorum ?? DEFAULT_QUORUM,
      deadlineMs: v.deadlineMs ?? input.defaults.voteDeadlineMs,
    },
  };
  return {
    spec,
    limits: {
      timeoutMs: l.turnTimeoutMs ?? input.defaults.turnTimeoutMs,
      maxAgentSteps: l.maxAgentSteps ?? input.defaults.maxAgentSteps,
      maxTokens: l.maxTokensPerTurn ?? null,
    },
  };
}
