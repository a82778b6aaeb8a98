export {
  type BlockedHop,
  DEFAULT_MENTION_LIMITS,
  type MentionLimits,
  type MentionRoute,
  type MentionSource,
  type ParsedMentions,
  parseMentions,
  type RoutedHop,
  routeMentions,
} from "./mentions.js";
export { nextInSeatOrder, type RosterAgent, trailingRun } from "./roster.js";
export { nextRoundRobin, type RoundRobinSlot, type RoundRobinStep, roundRobinOrder } from "./round-robin.js";
export {
  DEFAULT_SELECTOR_LIMITS,
  decideSelection,
  parsePick,
  type SelectorDecision,
  type SelectorFallback,
  type SelectorLimits,
  type SelectorPick,
  TASK_COMPLETE,
} from "./selector.js";
export {
  allVoted,
  type Ballot,
  type ChoiceTally,
  DEFAULT_QUORUM,
  DEFAULT_VOTE_RULE,
  type IgnoredBallot,
  type Quorum,
  type TallyFailure,
  type TallyOutcome,
  type TallyResult,
  type TieBreak,
  type TieBreakLevel,
  type Turnout,
  tally,
  type VoteRule,
  type Voter,
} from "./tally.js";
