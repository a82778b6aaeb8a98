import type { StrategyName } from "@conclave/subjects";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { broadcastGraph } from "./broadcast.js";
import { debateVoteGraph } from "./debate-vote.js";
import { mentionsGraph } from "./mentions.js";
import { roundRobinGraph } from "./round-robin.js";
import { selectorGraph } from "./selector.js";

/** A strategy's graph before compiling: each has its own nodes, all share `TurnState` and wait in `wait`. */
export interface StrategyGraph {
  compile(options: { checkpointer: BaseCheckpointSaver }): unknown;
}

/** Every strategy's graph builder: a new strategy is a compile error until it has a row here. */
export const STRATEGY_GRAPHS: Record<StrategyName, () => StrategyGraph> = {
  broadcast: broadcastGraph,
  round_robin: roundRobinGraph,
  mentions: mentionsGraph,
  selector: selectorGraph,
  debate_vote: debateVoteGraph,
};
