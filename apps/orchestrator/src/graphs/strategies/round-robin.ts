import { END, START, StateGraph } from "@langchain/langgraph";
import { nextRoundRobin } from "../../rules/index.js";
import { answerMessages } from "../prompts.js";
import {
  type S,
  type Seat,
  Step,
  said,
  seatOf,
  stillWaiting,
  TurnState,
  type U,
  wait,
} from "../turn-state.js";

// ---- round robin ---------------------------------------------------------------------------------

export function nextSpeaker(s: S, prefix = ""): U {
  const step = new Step(s);
  const next = nextRoundRobin({ roster: s.spec.speakers, rounds: s.spec.rounds, history: s.history });
  if (next.kind === "done") {
    step.emit({ kind: "end", ok: true, detail: next.reason });
    return step.update();
  }
  const agent = seatOf(s, next.slot.agentId) as Seat;
  const messages = answerMessages(s.spec.prompt, said(s), agent.name);
  step.ask(agent, "reply", next.slot.round, messages, {
    rule: "seat_order",
    reason: `${prefix}${next.reason}`,
  });
  return step.update({ history: [...s.history, agent.id], round: next.slot.round });
}

/** `round_robin`: seat order for the rounds asked, each speaker seeing the answers before it. */
export function roundRobinGraph() {
  return new StateGraph(TurnState)
    .addNode("next", (s) => nextSpeaker(s))
    .addNode("wait", wait)
    .addEdge(START, "next")
    .addConditionalEdges("next", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
    .addConditionalEdges("wait", (s) => (stillWaiting(s) ? "wait" : "next"), ["wait", "next"]);
}
