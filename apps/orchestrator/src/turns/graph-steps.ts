import type { GroupSettings, Strategy } from "@conclave/db";
import type { TurnMemory } from "@conclave/memory";
import type { AgentSnapshot, Envelope } from "@conclave/subjects";
import type { StrategyRunner } from "../graphs/runner.js";
import {
  applyStep,
  beginTurn,
  type Decision,
  deadlineInput,
  type GroupState,
  type MemoryPlan,
  recordAnswer,
} from "./state.js";
import { type TurnDefaults, turnSpecOf } from "./turn-spec.js";

// The decisions that run a strategy's graph: the turn engine makes them inside its transactions,
// and the unit tests make the same ones on a memory checkpointer.

/** Opens the turn of `message` with the group's strategy and settings (a missing group: broadcast). */
export async function openTurn(input: {
  runner: StrategyRunner;
  state: GroupState;
  message: Envelope<"message.posted">;
  seq: number;
  agents: AgentSnapshot[];
  group: { strategy: Strategy; settings: GroupSettings } | null;
  /** What the turn's prompts remember (files context included), and the plan to remember it (null: off). */
  memory: { plan: MemoryPlan | null; turn: TurnMemory };
  defaults: TurnDefaults;
  now: Date;
}): Promise<Decision> {
  const { message, group, now } = input;
  const { spec, limits } = turnSpecOf({
    turnId: message.turnId ?? message.id,
    strategy: group?.strategy ?? "broadcast",
    settings: group?.settings ?? {},
    agents: input.agents,
    prompt: { name: message.actor.name ?? message.actor.id, content: message.payload.content },
    defaults: input.defaults,
  });
  const step = await input.runner.start(spec, now.toISOString(), input.memory.turn);
  const policy = group?.settings.concurrentInput ?? "enqueue";
  return beginTurn({ ...input, spec, limits, policy, step });
}

/** Records an answer and resumes the turn's graph with it. Null: stale. */
export async function settleAnswer(
  runner: StrategyRunner,
  state: GroupState,
  e: Envelope<"agent.replied"> | Envelope<"agent.failed">,
  now: Date,
  seq?: number,
): Promise<Decision | null> {
  const r = recordAnswer(state, e, now, seq);
  if (!r) return null;
  if ("ended" in r) return r.ended;
  const active = r.state.active;
  if (!active) return null;
  const [step, memory] = await Promise.all([
    runner.resume(active.strategy, active.thread, active, r.input),
    runner.memory(active.thread),
  ]);
  return applyStep(r.state, step, now, e.id, memory);
}

/** Resumes the turn's graph at a vote's deadline. Null: that turn is not running. */
export async function passVoteDeadline(
  runner: StrategyRunner,
  state: GroupState,
  turnId: string,
  voteId: string,
  now: Date,
): Promise<Decision | null> {
  const r = deadlineInput(state, turnId, voteId, now);
  const active = r?.state.active;
  if (!r || !active) return null;
  const [step, memory] = await Promise.all([
    runner.resume(active.strategy, active.thread, active, r.input),
    runner.memory(active.thread),
  ]);
  return applyStep(r.state, step, now, null, memory);
}
