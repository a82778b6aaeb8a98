import { randomUUID } from "node:crypto";
import { AppError } from "@conclave/errors";
import type { TurnMemory } from "@conclave/memory";
import type { StrategyName } from "@conclave/subjects";
import { Command } from "@langchain/langgraph";
import { StepCheckpointSaver, type StoredCheckpoint } from "./step-checkpoints.js";
import { type GraphInput, type Intent, initialState, strategyGraph, type TurnSpec } from "./turn-graph.js";
import { inProcessTurnMemories, type TurnMemories } from "./turn-memories.js";
import { useUntracedContext } from "./untraced-context.js";

/** What one graph step decided: the intents, the checkpoint to resume from next, and whether the graph ended. */
export interface GraphStep {
  /** The checkpoint thread of the turn's graph. */
  thread: string;
  intents: Intent[];
  /** The checkpoint to resume from next, stored with the group state (absent once the graph ended). */
  checkpoint: StoredCheckpoint | undefined;
  done: boolean;
}

/** Where a checkpoint of an earlier version lives, for a turn that was running across the upgrade. */
export type OlderCheckpoints = (
  thread: string,
  checkpointId: string,
) => Promise<StoredCheckpoint | undefined>;

export interface StrategyRunner {
  /**
   * Runs a new turn's graph up to its first wait, on a thread of its own; the turn's memory is kept
   * with the thread (an attempt that loses the race to store its result leaves an orphan memory,
   * swept by the bucket's age limit).
   */
  start(spec: TurnSpec, at: string, memory: TurnMemory): Promise<GraphStep>;
  /** The memory of the turn running on `thread`, as kept when it started. */
  memory(thread: string): Promise<TurnMemory>;
  /**
   * Resumes the graph on `thread` from `checkpoint` (the group state's) with one event; a state
   * stored by an earlier version names only `checkpointId`, read from where that version kept it.
   */
  resume(
    strategy: StrategyName,
    thread: string,
    from: { checkpoint?: StoredCheckpoint | undefined; checkpointId: string },
    input: GraphInput,
  ): Promise<GraphStep>;
  /** Drops what a finished turn kept beside its thread (its memory). */
  compact(thread: string): Promise<void>;
}

/** The one call the runner makes; the five compiled graphs differ only in their node names. */
interface Compiled {
  invoke(input: unknown, config: Record<string, unknown>): Promise<unknown>;
}

/**
 * Runs the strategies' LangGraph graphs, one step per event, each from the checkpoint the group
 * state holds and back into it (see step-checkpoints.ts): a replica that lost a compare-and-set
 * race retries from the state that won. A checkpoint is taken only when a step ends (`durability:
 * "exit"`). Unless LangChain tracing is switched on, nodes run without run trees (see
 * untraced-context.ts).
 */
export function createStrategyRunner(
  options: { memories?: TurnMemories; older?: OlderCheckpoints } = {},
): StrategyRunner {
  useUntracedContext();
  const saver = new StepCheckpointSaver();
  const memories = options.memories ?? inProcessTurnMemories();
  const graphs = new Map<StrategyName, Compiled>();
  const graphOf = (strategy: StrategyName): Compiled => {
    let g = graphs.get(strategy);
    if (!g) {
      g = strategyGraph(strategy).compile({ checkpointer: saver }) as unknown as Compiled;
      graphs.set(strategy, g);
    }
    return g;
  };

  const run = async (
    thread: string,
    head: StoredCheckpoint | null,
    epoch: number,
    call: () => Promise<unknown>,
  ): Promise<GraphStep> => {
    saver.begin(thread, head);
    let values: { out?: { epoch: number; items: Intent[] }; __interrupt__?: unknown[] };
    let checkpoint: StoredCheckpoint | undefined;
    try {
      values = (await call()) as typeof values;
    } finally {
      checkpoint = saver.end(thread);
    }
    const intents = values.out && values.out.epoch === epoch ? values.out.items : [];
    const done = !values.__interrupt__ || values.__interrupt__.length === 0;
    if (!done && !checkpoint) throw new AppError("internal", `graph ${thread} paused without a checkpoint`);
    return { thread, intents, checkpoint: done ? undefined : checkpoint, done };
  };

  const headOf = async (
    thread: string,
    from: { checkpoint?: StoredCheckpoint | undefined; checkpointId: string },
  ) => {
    const head = from.checkpoint ?? (await options.older?.(thread, from.checkpointId));
    if (!head)
      throw new AppError("internal", `graph ${thread} has no checkpoint ${from.checkpointId} to resume`);
    return head;
  };

  return {
    start: async (spec, at, memory) => {
      const thread = `${spec.turnId}_${randomUUID().slice(0, 8)}`;
      const [step] = await Promise.all([
        run(thread, null, 0, () =>
          graphOf(spec.strategy).invoke(initialState(spec, at), {
            configurable: { thread_id: thread },
            durability: "exit",
          }),
        ),
        memories.put(thread, memory),
      ]);
      return step;
    },
    memory: (thread) => memories.get(thread),
    resume: async (strategy, thread, from, input) => {
      const head = await headOf(thread, from);
      return run(thread, head, input.n, () =>
        graphOf(strategy).invoke(new Command({ resume: input }), {
          configurable: { thread_id: thread, checkpoint_id: head.id },
          durability: "exit",
        }),
      );
    },
    compact: (thread) => memories.drop(thread),
  };
}
