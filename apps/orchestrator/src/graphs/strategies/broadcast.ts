import { END, START, StateGraph } from "@langchain/langgraph";
import { answerMessages } from "../prompts.js";
import { finish, type Intent, type S, Step, stillWaiting, TurnState, type U, wait } from "../turn-state.js";

// ---- broadcast and the opening of a debate ----------------------------------------------------

export function askEveryone(s: S, selected?: Extract<Intent, { kind: "ask" }>["selected"]): U {
  const step = new Step(s);
  for (const agent of s.spec.speakers)
    step.ask(agent, "reply", 0, answerMessages(s.spec.prompt, [], agent.name), selected);
  if (s.spec.speakers.length === 0) step.emit({ kind: "end", ok: true, detail: "no agents" });
  return step.update();
}

/** `broadcast`: every agent at once; the turn ends when all have answered. */
export function broadcastGraph() {
  return new StateGraph(TurnState)
    .addNode("open", (s) => askEveryone(s))
    .addNode("wait", wait)
    .addNode("finish", finish)
    .addEdge(START, "open")
    .addConditionalEdges("open", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
    .addConditionalEdges("wait", (s) => (stillWaiting(s) ? "wait" : "finish"), ["wait", "finish"])
    .addEdge("finish", END);
}
