import { END, START, StateGraph } from "@langchain/langgraph";
import { decideSelection } from "../../rules/index.js";
import { answerMessages, selectMessages } from "../prompts.js";
import {
  type Out,
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

// ---- selector ------------------------------------------------------------------------------------

function askSelector(s: S): U {
  const step = new Step(s);
  const selector = s.spec.selector;
  if (!selector) {
    step.emit({
      kind: "end",
      ok: false,
      reason: "misconfigured",
      detail: "the selector strategy needs settings.selectorAgentId: an agent seated in the group",
    });
    return step.update();
  }
  const names = s.spec.speakers.map((a) => a.name);
  step.ask(selector, "select", 0, selectMessages(s.spec.prompt, said(s, selector.id), names));
  return step.update({ phase: "select" });
}

function decide(s: S): U {
  const step = new Step(s);
  const pick = s.answers.at(-1);
  if (!pick?.ok) {
    step.emit({ kind: "end", ok: true, detail: "the selector could not answer" });
    return step.update();
  }
  const d = decideSelection({
    pick: pick.content,
    roster: s.spec.speakers,
    history: s.history,
    invalidPicks: s.invalidPicks,
    limits: s.spec.selection,
  });
  switch (d.kind) {
    case "complete":
      step.emit({ kind: "end", ok: true, detail: d.reason });
      return step.update();
    case "stop":
      if (d.code === "no_agents")
        step.emit({ kind: "end", ok: false, reason: "misconfigured", detail: d.reason });
      else {
        step.guard(d.code, d.reason);
        step.emit({
          kind: "end",
          ok: false,
          reason: d.code === "max_steps" ? "limit" : "guard",
          detail: d.reason,
        });
      }
      return step.update();
    case "retry": {
      step.guard("invalid_pick", d.reason);
      const retried = askSelector({ ...s, asked: step.asked, waiting: step.waiting });
      const items = [...step.items, ...((retried.out as Out).items ?? [])];
      return { ...retried, invalidPicks: s.invalidPicks + 1, out: { epoch: s.epoch, items } };
    }
    case "speak": {
      if (d.fallback) step.guard(d.fallback, d.reason, d.agent.id);
      const agent = seatOf(s, d.agent.id) as Seat;
      const messages = answerMessages(s.spec.prompt, said(s), agent.name);
      step.ask(agent, "reply", 0, messages, { rule: d.fallback ? "fallback" : "selector", reason: d.reason });
      return step.update({ history: [...s.history, agent.id], invalidPicks: 0, phase: "speak" });
    }
  }
}

/** `selector`: an agent picks each next speaker from the transcript, until it says the task is done. */
export function selectorGraph() {
  return new StateGraph(TurnState)
    .addNode("select", askSelector)
    .addNode("decide", decide)
    .addNode("wait", wait)
    .addEdge(START, "select")
    .addConditionalEdges("select", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
    .addConditionalEdges("decide", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
    .addConditionalEdges(
      "wait",
      (s) => (stillWaiting(s) ? "wait" : s.phase === "select" ? "decide" : "select"),
      ["wait", "decide", "select"],
    );
}
