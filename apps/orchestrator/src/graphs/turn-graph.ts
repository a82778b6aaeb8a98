import type { StrategyName } from "@conclave/subjects";
import { STRATEGY_GRAPHS, type StrategyGraph } from "./strategies/index.js";

export {
  ANSWER_MAX_CHARS,
  ANSWERS_KEPT,
  type Answer,
  type Ask,
  type GraphInput,
  type Intent,
  initialState,
  type Seat,
  type TurnSpec,
  TurnState,
} from "./turn-state.js";

/** Builds the (uncompiled) graph of a strategy. Every graph waits in `wait`, resumed by one event at a time. */
export function strategyGraph(strategy: StrategyName): StrategyGraph {
  return STRATEGY_GRAPHS[strategy]();
}
