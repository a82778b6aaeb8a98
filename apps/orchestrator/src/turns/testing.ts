import type { GroupSettings } from "@conclave/db";
import { noMemory } from "@conclave/memory";
import {
  type AgentSnapshot,
  type ConversationMessage,
  type Envelope,
  makeEnvelope,
  newEventId,
  type StrategyName,
} from "@conclave/subjects";
import { Annotation, Command, END, interrupt, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { createStrategyRunner, type StrategyRunner } from "../graphs/runner.js";
import { useUntracedContext } from "../graphs/untraced-context.js";
import { openTurn, settleAnswer } from "./graph-steps.js";
import type { Decision, GroupState } from "./state.js";

export { emptyState } from "./state.js";

/** A strategy runner on memory, for unit tests. */
export const memoryRunner = (): StrategyRunner => createStrategyRunner();

/** Starts the turn of `message` as the engine does, on a memory runner. */
export function startTurn(
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
  const defaults = { turnTimeoutMs: timeoutMs, maxAgentSteps: 50, voteDeadlineMs: 60_000 };
  const group = { strategy, settings };
  const memory = { plan: null, turn: noMemory(context) };
  return openTurn({ runner, state, message, seq, agents, group, memory, defaults, now });
}

/** Settles an answer as the engine does: record it, resume the graph, apply what it decided. */
export const settleAgent = settleAnswer;

type Rest<T> = T extends (first: StrategyRunner, ...rest: infer R) => infer O ? (...args: R) => O : never;

/** `startTurn` and `settleAgent` bound to one memory runner. */
export function memoryTurns(): {
  runner: StrategyRunner;
  startTurn: Rest<typeof startTurn>;
  settleAgent: Rest<typeof settleAnswer>;
} {
  const runner = memoryRunner();
  return {
    runner,
    startTurn: (...args) => startTurn(runner, ...args),
    settleAgent: (...args) => settleAnswer(runner, ...args),
  };
}

/** A scripted agent for unit tests. */
export function scriptedAgent(
  name: string,
  scripted: AgentSnapshot["scripted"] = {},
  allowedTools: string[] = [],
): AgentSnapshot {
  return {
    id: newEventId(),
    name,
    provider: "scripted",
    model: "scripted",
    systemPrompt: "",
    allowedTools,
    scripted,
  };
}

/** A message Lin posted to `groupId`, opening a turn of its own. */
export function postedMessage(groupId: string, content: string): Envelope<"message.posted"> {
  const id = newEventId();
  return makeEnvelope({
    id,
    type: "message.posted",
    groupId,
    turnId: newEventId(),
    causationId: null,
    actor: { kind: "user", id: "u", name: "Lin" },
    payload: { messageId: id, content },
  });
}

/**
 * The least a LangGraph step costs here: a two-node graph (a node that asks, a node that waits in
 * `interrupt`) with two channels, on LangGraph's own in-memory saver, untraced as the strategies
 * run. One `run()` is a start and two resumes, the invocations of a two-agent turn.
 */
export function bareGraph(): { run(thread: string): Promise<void>; invocationsPerRun: number } {
  useUntracedContext();
  const State = Annotation.Root({ asked: Annotation<number>, answers: Annotation<number> });
  const graph = new StateGraph(State)
    .addNode("next", (s) => ({ asked: s.asked + 1 }))
    .addNode("wait", (s) => ({ answers: s.answers + interrupt<string, number>("awaiting") }))
    .addEdge(START, "next")
    .addEdge("next", "wait")
    .addConditionalEdges("wait", (s) => (s.answers >= 2 ? END : "next"), ["next", END])
    .compile({ checkpointer: new MemorySaver() });
  return {
    invocationsPerRun: 3,
    async run(thread) {
      const config = { configurable: { thread_id: thread }, durability: "exit" as const };
      await graph.invoke({ asked: 0, answers: 0 }, config);
      await graph.invoke(new Command({ resume: 1 }), config);
      await graph.invoke(new Command({ resume: 1 }), config);
    },
  };
}
