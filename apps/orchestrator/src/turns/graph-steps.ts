import type { GroupSettings, Strategy } from "@conclave/db";
import type { AgentSnapshot, ConversationMessage, Envelope } from "@conclave/subjects";
import type { StrategyRunner } from "../graphs/runner.js";
import {
  applyStep,
  beginTurn,
  type Decision,
  deadlineInput,
  type GroupState,
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
  context: ConversationMessage[];
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
    context: input.context,
    defaults: input.defaults,
  });
  const step = await input.runner.start(spec, now.toISOString());
  const policy = group?.settings.concurrentInput ?? "enqueue";
  return beginTurn({ ...input, spec, limits, policy, step });
}

/** Records an answer and resumes the turn's graph with it. Null: stale. */
export async function settleAnswer(
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
  const step = await runner.resume(active.strategy, active.thread, active.checkpointId, r.input);
  return applyStep(r.state, step, now, null);
}
