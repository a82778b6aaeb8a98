import type { GroupSettings } from "@conclave/db";
import type { AgentSnapshot, ConversationMessage, Envelope, StrategyName } from "@conclave/subjects";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver } from "@langchain/langgraph";
import type { Checkpoint, CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { createStrategyRunner, type StrategyRunner } from "../graphs/runner.js";
import { applyStep, beginTurn, type Decision, type GroupState, recordAnswer } from "./state.js";
import { turnSpecOf } from "./turn-spec.js";

/** An in-memory checkpointer that remembers its last put per thread, for tests of pure turn logic. */
export class MemoryTrackingSaver extends MemorySaver {
  private readonly puts = new Map<string, string>();
  lastPut(thread: string) {
    return this.puts.get(thread);
  }
  forget(thread: string) {
    this.puts.delete(thread);
  }
  override async put(config: RunnableConfig, c: Checkpoint, m: CheckpointMetadata) {
    const out = await super.put(config, c, m);
    this.puts.set(String(config.configurable?.thread_id), c.id);
    return out;
  }
}

/** A strategy runner on memory, for unit tests. */
export const memoryRunner = (): StrategyRunner => createStrategyRunner(new MemoryTrackingSaver());

/** Starts the turn of `message` as the engine does, on a memory runner. */
export async function startTurn(
  runner: StrategyRunner,
  state: GroupState,
  message: Envelope<"message.posted">,
  seq: number,
  agents: AgentSnapshot[],
  now: Date,
  timeoutMs: number,
  context: ConversationMessage[] = [],
  strategy: StrategyName = "broadcast",
  settings: GroupSettings = {},
): Promise<Decision> {
  const { spec, limits } = turnSpecOf({
    turnId: message.turnId ?? message.id,
    strategy,
    settings,
    agents,
    prompt: { name: message.actor.name ?? message.actor.id, content: message.payload.content },
    context,
    defaults: { turnTimeoutMs: timeoutMs, maxAgentSteps: 50, voteDeadlineMs: 60_000 },
  });
  const step = await runner.start(spec, now.toISOString());
  const policy = settings.concurrentInput ?? "enqueue";
  return beginTurn({ state, message, seq, agents, spec, limits, policy, step, now });
}

/** Settles an answer as the engine does: record it, resume the graph, apply what it decided. */
export async function settleAgent(
  runner: StrategyRunner,
  state: GroupState,
  e: Envelope<"agent.replied"> | Envelope<"agent.failed">,
  now: Date,
): Promise<Decision | null> {
  const r = recordAnswer(state, e, now);
  if (!r) return null;
  if ("ended" in r) return r.ended;
  const active = r.state.active;
  if (!active) return null;
  const step = await runner.resume(active.strategy, active.thread, active.checkpointId, r.input);
  return applyStep(r.state, step, now, e.id);
}
