import { type AppMetrics, LONG_BUCKETS } from "@conclave/metrics";
import type { Envelope } from "@conclave/subjects";

/** What the turn store reports: ended turns and lost compare-and-sets. */
export interface TurnObserver {
  turnEnded(e: Envelope<"turn.completed" | "turn.failed">, strategy: string): void;
  /** Another replica changed a group's state first; the transaction runs again. */
  conflict(): void;
}

/** The orchestrator's series: turns by outcome and strategy, their duration, state conflicts. */
export function turnMetrics(m: AppMetrics): TurnObserver {
  const turns = m.counter("conclave_turns_total", "Turns ended, by outcome and strategy.", [
    "outcome",
    "strategy",
  ]);
  const duration = m.histogram(
    "conclave_turn_duration_seconds",
    "Time from a turn's start to its end, by outcome and strategy.",
    ["outcome", "strategy"],
    LONG_BUCKETS,
  );
  const conflicts = m.counter(
    "conclave_turn_state_conflicts_total",
    "Compare-and-set conflicts on a group's turn state (another replica wrote it first).",
  );
  return {
    turnEnded(e, strategy) {
      // A failure's reason is a closed enum: bounded labels.
      const outcome = "reason" in e.payload ? `failed_${e.payload.reason}` : "completed";
      turns.inc({ outcome, strategy });
      duration.observe({ outcome, strategy }, e.payload.durationMs / 1000);
    },
    conflict: () => conflicts.inc(),
  };
}
