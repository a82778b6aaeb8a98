import type { GroupSettings } from "@conclave/db";
import {
  type AgentSnapshot,
  type AnyEnvelope,
  type Envelope,
  makeEnvelope,
  newEventId,
  type StrategyName,
} from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { passVoteDeadline } from "../turns/graph-steps.js";
import { emptyState, type GroupState } from "../turns/state.js";
import { memoryTurns, postedMessage, scriptedAgent } from "../turns/testing.js";
import { ANSWER_MAX_CHARS } from "./turn-graph.js";

// The strategies' graphs driven event by event through the turn state, on a memory checkpointer:
// what each step emits (events and work items), with the edge cases the end-to-end tests do not reach.

const { runner, startTurn, settleAgent } = memoryTurns();
const groupId = newEventId();
const t0 = new Date("2026-01-01T00:00:00Z");

const agent = (name: string) => scriptedAgent(name);

/** A running turn: its state and every event and work item emitted so far. */
interface Run {
  state: GroupState;
  log: AnyEnvelope[];
}

async function start(
  strategy: StrategyName,
  agents: AgentSnapshot[],
  content: string,
  settings: GroupSettings = {},
): Promise<Run> {
  const d = await startTurn(
    emptyState(groupId),
    postedMessage(groupId, content),
    1,
    agents,
    t0,
    60_000,
    [],
    strategy,
    settings,
  );
  return { state: d.state, log: d.emit };
}

/** The asks waiting for an answer, oldest first. */
const open = (run: Run) =>
  run.log
    .filter((e): e is Envelope<"work.llm"> => e.type === "work.llm")
    .filter((w) => {
      const current = run.state.active?.current[w.payload.agent.id];
      return current?.askId === w.payload.ask?.id;
    });

async function answer(run: Run, who: AgentSnapshot, content: string, ok = true): Promise<Run> {
  const work = open(run).find((w) => w.payload.agent.id === who.id);
  const askId = work?.payload.ask?.id;
  const base = {
    id: newEventId(),
    groupId,
    turnId: run.state.active?.turnId ?? null,
    causationId: work?.id ?? null,
    actor: { kind: "agent" as const, id: who.id },
  };
  const e = ok
    ? makeEnvelope({
        ...base,
        type: "agent.replied",
        payload: {
          agentId: who.id,
          askId,
          agentName: who.name,
          content,
          provider: "scripted",
          model: "m",
          latencyMs: 1,
        },
      })
    : makeEnvelope({
        ...base,
        type: "agent.failed",
        payload: { agentId: who.id, askId, agentName: who.name, error: content },
      });
  const d = await settleAgent(run.state, e, t0);
  if (!d) return run;
  return { state: d.state, log: [...run.log, ...d.emit] };
}

const types = (events: AnyEnvelope[]) =>
  events.map((e) => (e.type === "work.llm" ? `ask:${e.payload.agent.name}` : e.type));
const ended = (run: Run) => run.log.find((e) => e.type === "turn.completed" || e.type === "turn.failed");

describe("round_robin", () => {
  it("goes on past a failed speaker, and the turn fails naming it", async () => {
    const [ada, bob, cy] = [agent("Ada"), agent("Bob"), agent("Cy")];
    let run = await start("round_robin", [ada, bob, cy], "go");
    run = await answer(run, ada, "provider down", false);
    expect(open(run).map((w) => w.payload.agent.name)).toEqual(["Bob"]);
    run = await answer(run, bob, "b");
    run = await answer(run, cy, "c");
    const end = ended(run);
    expect(end?.type === "turn.failed" && end.payload).toMatchObject({
      reason: "agent_failed",
      detail: "Ada: provider down",
    });
    // Cy saw Bob's answer but not Ada's failure.
    const cyAsk = run.log.filter((e): e is Envelope<"work.llm"> => e.type === "work.llm").at(-1);
    expect(cyAsk?.payload.messages.at(-1)?.content).toContain("[Bob]: b");
    expect(cyAsk?.payload.messages.at(-1)?.content).not.toContain("provider down");
  });

  it("passes a long answer on cut, so the turn's checkpoint stays small", async () => {
    const [ada, bob] = [agent("Ada"), agent("Bob")];
    let run = await start("round_robin", [ada, bob], "go");
    run = await answer(run, ada, "x".repeat(ANSWER_MAX_CHARS * 3));
    const sent = open(run)[0]?.payload.messages.at(-1)?.content ?? "";
    expect(sent).toContain(`[cut: ${ANSWER_MAX_CHARS * 3} characters in all]`);
    expect(sent.length).toBeLessThan(ANSWER_MAX_CHARS + 500);
  });

  it("ignores an answer to an ask that is not open, changing nothing", async () => {
    const [ada, bob] = [agent("Ada"), agent("Bob")];
    const run = await start("round_robin", [ada, bob], "go");
    const again = await answer(run, bob, "out of turn");
    expect(again).toBe(run);
  });
});

describe("mentions", () => {
  it("asks an agent mentioned by two others once", async () => {
    const [ada, bob, cy] = [agent("Ada"), agent("Bob"), agent("Cy")];
    let run = await start("mentions", [ada, bob, cy], "@Ada and @Bob, what do you think?");
    expect(types(run.log)).toEqual([
      "turn.started",
      "work.timer",
      "speaker.selected",
      "ask:Ada",
      "speaker.selected",
      "ask:Bob",
    ]);
    run = await answer(run, ada, "ask @Cy");
    run = await answer(run, bob, "@Cy knows");
    const cyAsks = run.log.filter((e) => e.type === "work.llm" && e.payload.agent.id === cy.id);
    expect(cyAsks).toHaveLength(1);
    run = await answer(run, cy, "done");
    expect(ended(run)?.type).toBe("turn.completed");
  });

  it("with no mention and fallback none, ends at once", async () => {
    const run = await start("mentions", [agent("Ada")], "hello all", { mentionFallback: "none" });
    expect(types(run.log)).toEqual(["turn.started", "work.timer", "turn.completed"]);
  });
});

describe("selector", () => {
  it("fails with limit once the selector keeps picking past maxSteps", async () => {
    const [sel, ada, bob] = [agent("Sel"), agent("Ada"), agent("Bob")];
    let run = await start("selector", [sel, ada, bob], "solve", {
      selectorAgentId: sel.id,
      turnLimits: { maxSteps: 2 },
    });
    run = await answer(run, sel, "Ada");
    run = await answer(run, ada, "a");
    run = await answer(run, sel, "Bob");
    run = await answer(run, bob, "b");
    run = await answer(run, sel, "Ada");
    expect(types(run.log).slice(-2)).toEqual(["guard.triggered", "turn.failed"]);
    const end = ended(run);
    expect(end?.type === "turn.failed" && end.payload).toMatchObject({ reason: "limit" });
  });

  it("sends the selector the transcript and the speakers it may pick", async () => {
    const [sel, ada] = [agent("Sel"), agent("Ada")];
    let run = await start("selector", [sel, ada], "plan it", { selectorAgentId: sel.id });
    run = await answer(run, sel, "Ada");
    run = await answer(run, ada, "step one");
    const ask = open(run)[0];
    expect(ask?.payload.ask?.purpose).toBe("select");
    expect(ask?.payload.messages.at(-1)?.content).toContain("[Ada]: step one");
    expect(ask?.payload.messages.at(-1)?.content).toContain("Speakers: Ada.");
  });
});

describe("debate_vote", () => {
  const ballot = (choice: string | null, confidence = 1) =>
    JSON.stringify({ choice, confidence, rationale: "r" });

  it("leaves a debater that never answered off the ballot, and counts its silence as missing", async () => {
    const [ada, bob, cy] = [agent("Ada"), agent("Bob"), agent("Cy")];
    let run = await start("debate_vote", [ada, bob, cy], "which?", { turnLimits: { maxRounds: 1 } });
    run = await answer(run, ada, "A0");
    run = await answer(run, bob, "B0");
    run = await answer(run, cy, "no key", false);
    run = await answer(run, ada, "A1");
    run = await answer(run, bob, "B1");
    run = await answer(run, cy, "no key", false);
    const opened = run.log.find((e) => e.type === "vote.opened");
    expect(opened?.type === "vote.opened" && opened.payload.options.map((o) => o.choice)).toEqual([
      "Ada",
      "Bob",
    ]);
    run = await answer(run, ada, ballot("Bob"));
    run = await answer(run, bob, ballot("Bob"));
    run = await answer(run, cy, "no key", false);
    const closed = run.log.find((e) => e.type === "vote.closed");
    expect(closed?.type === "vote.closed" && closed.payload).toMatchObject({
      winner: "Bob",
      turnout: { voted: 2, missing: [cy.id] },
    });
    // The debate reached consensus, but an agent failed, so the turn says so.
    expect(types(run.log).slice(-3)).toEqual(["vote.closed", "consensus.reached", "turn.failed"]);
  });

  it("applies a supermajority threshold from the group's settings", async () => {
    const [ada, bob, cy] = [agent("Ada"), agent("Bob"), agent("Cy")];
    let run = await start("debate_vote", [ada, bob, cy], "which?", {
      turnLimits: { maxRounds: 1 },
      voting: { rule: "supermajority", threshold: 0.75 },
    });
    for (const a of [ada, bob, cy]) run = await answer(run, a, `${a.name}0`);
    for (const a of [ada, bob, cy]) run = await answer(run, a, `${a.name}1`);
    run = await answer(run, ada, ballot("Ada"));
    run = await answer(run, bob, ballot("Ada"));
    run = await answer(run, cy, ballot("Cy"));
    const failed = run.log.find((e) => e.type === "consensus.failed");
    expect(failed?.type === "consensus.failed" && failed.payload).toMatchObject({
      code: "no_supermajority",
      leader: "Ada",
    });
    expect(failed?.type === "consensus.failed" && failed.payload.confidence).toBeCloseTo(2 / 3, 6);
  });

  it("closes at the deadline only for its own vote", async () => {
    const [ada, bob] = [agent("Ada"), agent("Bob")];
    let run = await start("debate_vote", [ada, bob], "which?", { turnLimits: { maxRounds: 1 } });
    for (const a of [ada, bob]) run = await answer(run, a, `${a.name}0`);
    for (const a of [ada, bob]) run = await answer(run, a, `${a.name}1`);
    run = await answer(run, ada, ballot("Ada", 0.8));
    const turnId = run.state.active?.turnId as string;
    const opened = run.log.find((e) => e.type === "vote.opened");
    const voteId = opened?.type === "vote.opened" ? opened.payload.voteId : "";
    const deadline = async (id: string) => {
      return (await passVoteDeadline(runner, run.state, turnId, id, t0))?.emit ?? [];
    };
    expect(await deadline(newEventId())).toEqual([]);
    const closing = await deadline(voteId);
    expect(types(closing)).toEqual(["vote.closed", "consensus.reached", "turn.completed"]);
    const closed = closing[0];
    expect(closed?.type === "vote.closed" && closed.payload).toMatchObject({
      closedBy: "deadline",
      winner: "Ada",
      turnout: { missing: [bob.id] },
    });
  });
});
