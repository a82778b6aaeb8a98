import { randomUUID } from "node:crypto";
import { AppError } from "@conclave/errors";
import type { TurnMemory } from "@conclave/memory";
import type { StrategyName } from "@conclave/subjects";
import { Command } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { type GraphInput, type Intent, initialState, strategyGraph, type TurnSpec } from "./turn-graph.js";
import { inProcessTurnMemories, type TurnMemories } from "./turn-memories.js";
import { useUntracedContext } from "./untraced-context.js";

/** What one graph step decided: the intents, the checkpoint to pin, and whether the graph ended. */
export interface GraphStep {
  /** The checkpoint thread of the turn's graph. */
  thread: string;
  intents: Intent[];
  /** The checkpoint to resume from next (absent once the graph ended). */
  checkpointId: string | undefined;
  done: boolean;
}

export interface StrategyRunner {
  /**
   * Runs a new turn's graph up to its first wait, on a thread of its own: an attempt that loses the
   * race to store its result leaves an orphan thread (swept by the bucket's age limit), never a
   * checkpoint the winner could resume by mistake. The turn's memory is kept with the thread.
   */
  start(spec: TurnSpec, at: string, memory: TurnMemory): Promise<GraphStep>;
  /** The memory of the turn running on `thread`, as kept when it started. */
  memory(thread: string): Promise<TurnMemory>;
  /** Resumes the graph on `thread` from `checkpointId` with one event. */
  resume(strategy: StrategyName, thread: string, checkpointId: string, input: GraphInput): Promise<GraphStep>;
  /** Drops a finished turn's checkpoints (retention: only running turns keep any). */
  compact(thread: string): Promise<void>;
}

/** A checkpointer that can say which checkpoint it stored last for a thread (see KvCheckpointSaver). */
export type TrackingSaver = BaseCheckpointSaver & {
  lastPut(thread: string): string | undefined;
  forget(thread: string): void;
  /** Optional: names the head of a thread for the step about to run (null: a new thread). */
  pin?(thread: string, checkpointId: string | null): void;
};

/** The one call the runner makes; the five compiled graphs differ only in their node names. */
interface Compiled {
  invoke(input: unknown, config: Record<string, unknown>): Promise<unknown>;
}

/**
 * Runs the strategies' LangGraph graphs with checkpoints in JetStream KV. Each call runs from the
 * checkpoint the caller pinned, never from "the latest", so a replica that lost a compare-and-set
 * race can retry from the state that won; checkpoints are written only when a step ends
 * (`durability: "exit"`), one per event. Unless LangChain tracing is switched on, nodes run without
 * run trees (see untraced-context.ts).
 */
export function createStrategyRunner(
  saver: TrackingSaver,
  memories: TurnMemories = inProcessTurnMemories(),
): StrategyRunner {
  useUntracedContext();
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
    head: string | null,
    epoch: number,
    call: () => Promise<unknown>,
  ): Promise<GraphStep> => {
    saver.forget(thread);
    saver.pin?.(thread, head);
    let values: { out?: { epoch: number; items: Intent[] }; __interrupt__?: unknown[] };
    try {
      values = (await call()) as typeof values;
    } catch (e) {
      saver.forget(thread);
      throw e;
    }
    const intents = values.out && values.out.epoch === epoch ? values.out.items : [];
    const done = !values.__interrupt__ || values.__interrupt__.length === 0;
    const checkpointId = saver.lastPut(thread);
    saver.forget(thread);
    if (!done && !checkpointId) throw new AppError("internal", `graph ${thread} paused without a checkpoint`);
    return { thread, intents, checkpointId: done ? undefined : checkpointId, done };
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
    resume: (strategy, thread, checkpointId, input) =>
      run(thread, checkpointId, input.n, () =>
        graphOf(strategy).invoke(new Command({ resume: input }), {
          configurable: { thread_id: thread, checkpoint_id: checkpointId },
          durability: "exit",
        }),
      ),
    compact: (thread) => saver.deleteThread(thread),
  };
}
