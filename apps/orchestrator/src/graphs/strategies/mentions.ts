import { END, START, StateGraph } from "@langchain/langgraph";
import { routeMentions } from "../../rules/index.js";
import { answerMessages } from "../prompts.js";
import {
  finish,
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
import { nextSpeaker } from "./round-robin.js";

// ---- mentions ------------------------------------------------------------------------------------

function route(s: S): U {
  const step = new Step(s);
  const { maxHops, maxAlternations, fallback } = s.spec.mentions;
  const limits = { maxHops, maxAlternations };
  if (s.answers.length === 0) {
    const r = routeMentions({
      text: s.spec.prompt.content,
      roster: s.spec.speakers,
      from: { kind: "user", name: s.spec.prompt.name ?? "someone" },
      hopsUsed: 0,
      limits,
    });
    if (r.kind === "fallback") {
      if (fallback === "none") {
        step.emit({ kind: "end", ok: true, detail: `${r.reason}; no fallback` });
        return step.update();
      }
      const why = `${r.reason}; fallback: ${fallback}`;
      if (fallback === "round_robin")
        return { ...nextSpeaker({ ...s, spec: { ...s.spec, rounds: 1 } }, `${why}; `), mode: "round_robin" };
      const all = new Step(s);
      for (const agent of s.spec.speakers)
        all.ask(agent, "reply", 0, answerMessages(s.spec.prompt, [], agent.name), {
          rule: "fallback",
          reason: why,
        });
      if (s.spec.speakers.length === 0) all.emit({ kind: "end", ok: true, detail: "no agents" });
      return all.update({ mode: "broadcast" });
    }
    if (r.kind !== "route") {
      step.emit({ kind: "end", ok: true, detail: r.reason });
      return step.update();
    }
    const paths: Record<string, string[]> = {};
    const frontier: string[] = [];
    for (const t of r.targets) {
      const agent = seatOf(s, t.agent.id) as Seat;
      const ask = step.ask(agent, "reply", 0, answerMessages(s.spec.prompt, [], agent.name), {
        rule: "mention",
        reason: t.reason,
      });
      paths[ask.askId] = [agent.id];
      frontier.push(ask.askId);
    }
    return step.update({ paths, frontier });
  }
  // The last hop's answers, in the order they were asked, may hand off to other agents.
  let hops = s.hops;
  const paths: Record<string, string[]> = { ...s.paths };
  const frontier: string[] = [];
  const asked = new Set<string>();
  for (const askId of s.frontier) {
    const answer = s.answers.find((a) => a.askId === askId);
    const path = s.paths[askId];
    if (!answer?.ok || !path || path.length === 0) continue;
    const r = routeMentions({
      text: answer.content,
      roster: s.spec.speakers,
      from: { kind: "agent", path: path as [string, ...string[]] },
      hopsUsed: hops,
      limits,
    });
    if (r.kind === "route" || r.kind === "stop") {
      for (const b of r.blocked) step.guard(b.code, b.reason, b.agent.id);
      hops = r.hopsUsed;
    }
    if (r.kind !== "route") continue;
    for (const t of r.targets) {
      if (asked.has(t.agent.id)) continue;
      asked.add(t.agent.id);
      const agent = seatOf(s, t.agent.id) as Seat;
      const messages = answerMessages(s.spec.prompt, said(s), agent.name);
      const ask = step.ask(agent, "reply", 0, messages, { rule: "mention", reason: t.reason });
      paths[ask.askId] = [...path, agent.id];
      frontier.push(ask.askId);
    }
  }
  if (frontier.length === 0) step.emit({ kind: "end", ok: true, detail: "no further hand-offs" });
  return step.update({ hops, paths, frontier });
}

/** `mentions`: `@Name` routes to agents, who hand off by mentioning others, within the guards. */
export function mentionsGraph() {
  return new StateGraph(TurnState)
    .addNode("route", route)
    .addNode("next", (s) => nextSpeaker({ ...s, spec: { ...s.spec, rounds: 1 } }))
    .addNode("wait", wait)
    .addNode("finish", finish)
    .addEdge(START, "route")
    .addConditionalEdges("route", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
    .addConditionalEdges("next", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
    .addConditionalEdges(
      "wait",
      (s) =>
        stillWaiting(s)
          ? "wait"
          : s.mode === "mentions"
            ? "route"
            : s.mode === "round_robin"
              ? "next"
              : "finish",
      ["wait", "route", "next", "finish"],
    )
    .addEdge("finish", END);
}
