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
import { emptyState, memoryTurns, postedMessage, scriptedAgent } from "../turns/testing.js";
import { type RecordedEvent, verifyTurn } from "./verify-turn.js";

// Verify over turns recorded on a memory runner (the decisions the orchestrator makes, with the
// answers the executor would publish), for every strategy; then with a rule or seat order changed on
// purpose, where it must report the divergence.

const groupId = newEventId();
const t0 = Date.parse("2026-01-01T00:00:00Z");
const ballot = (choice: string | null) => JSON.stringify({ choice, confidence: 0.9, rationale: "r" });

type Answer = (w: Envelope<"work.llm">, n: number) => { content: string; ok?: boolean };

/** Runs a turn to its end, answering each ask in order, and returns every event as recorded. */
async function record(
  strategy: StrategyName,
  agents: AgentSnapshot[],
  content: string,
  settings: GroupSettings,
  answerOf: Answer,
): Promise<RecordedEvent[]> {
  const { startTurn, settleAgent } = memoryTurns();
  const log: RecordedEvent[] = [];
  let seq = 0;
  let clock = t0;
  const at = () => {
    clock += 10;
    return new Date(clock);
  };
  const message = postedMessage(groupId, content);
  log.push({ seq: ++seq, event: message });
  const d = await startTurn(emptyState(groupId), message, seq, agents, at(), 60_000, [], strategy, settings);
  let state = d.state;
  const queue: Envelope<"work.llm">[] = [];
  const add = (emit: AnyEnvelope[]) => {
    for (const e of emit)
      if (e.type === "work.llm") queue.push(e);
      else if (e.type !== "work.timer" && e.type !== "work.tool") log.push({ seq: ++seq, event: e });
  };
  add(d.emit);
  for (let n = 0; queue.length > 0 && n < 200; n++) {
    const w = queue.shift() as Envelope<"work.llm">;
    const agent = w.payload.agent;
    const a = answerOf(w, n);
    const base = {
      id: newEventId(),
      groupId,
      turnId: w.turnId,
      causationId: w.id,
      actor: { kind: "agent" as const, id: agent.id, name: agent.name },
    };
    const askId = w.payload.ask?.id;
    const e =
      a.ok === false
        ? makeEnvelope({
            ...base,
            type: "agent.failed",
            payload: { agentId: agent.id, askId, agentName: agent.name, error: a.content },
          })
        : makeEnvelope({
            ...base,
            type: "agent.replied",
            payload: {
              agentId: agent.id,
              askId,
              purpose: w.payload.ask?.purpose ?? "reply",
              agentName: agent.name,
              content: a.content,
              provider: "scripted",
              model: "m",
              latencyMs: 1,
            },
          });
    const now = at();
    const outcome = { ...e, at: now.toISOString() } as typeof e;
    log.push({ seq: ++seq, event: outcome });
    const next = await settleAgent(state, outcome, now, seq);
    if (!next) continue;
    state = next.state;
    add(next.emit);
  }
  return log;
}

const say: Answer = (w) => ({ content: `${w.payload.agent.name} says hi` });
const three = (): [AgentSnapshot, AgentSnapshot, AgentSnapshot] => [
  scriptedAgent("Ada"),
  scriptedAgent("Bob"),
  scriptedAgent("Cy"),
];
const types = (log: RecordedEvent[]) => log.map((r) => r.event.type);

describe("verifyTurn", () => {
  it("finds no divergence on recorded turns of every strategy", async () => {
    const [ada, bob, cy] = three();
    const sel = scriptedAgent("Sel");
    const picks = ["Ada", "Bob", "DONE"];
    const cases: [StrategyName, AgentSnapshot[], string, GroupSettings, Answer][] = [
      ["round_robin", [ada, bob, cy], "go", { turnLimits: { maxRounds: 2 } }, say],
      ["broadcast", [ada, bob, cy], "all of you", {}, (_w, n) => ({ content: "x", ok: n !== 1 })],
      [
        "mentions",
        [ada, bob, cy],
        "@Ada what now?",
        {},
        (w) => ({ content: w.payload.agent.name === "Ada" ? "ask @Cy" : "done" }),
      ],
      [
        "selector",
        [sel, ada, bob],
        "solve",
        { selectorAgentId: sel.id },
        (w) => (w.payload.ask?.purpose === "select" ? { content: picks.shift() ?? "DONE" } : say(w, 0)),
      ],
      [
        "debate_vote",
        [ada, bob, cy],
        "which?",
        { turnLimits: { maxRounds: 1 } },
        (w) =>
          w.payload.ask?.purpose === "ballot"
            ? { content: ballot(w.payload.agent.name === "Cy" ? "Ada" : "Bob") }
            : say(w, 0),
      ],
    ];
    for (const [strategy, agents, content, settings, answer] of cases) {
      const log = await record(strategy, agents, content, settings, answer);
      expect(
        types(log).some((t) => t === "turn.completed" || t === "turn.failed"),
        strategy,
      ).toBe(true);
      const result = await verifyTurn({ events: log, strategy, settings });
      expect(result.divergences, strategy).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.decisions, strategy).toBeGreaterThan(0);
    }
  });

  it("reports the divergence when the seat order changes", async () => {
    const agents = three();
    const log = await record("round_robin", agents, "go", {}, say);
    const result = await verifyTurn({
      events: log,
      strategy: "round_robin",
      settings: {},
      agents: [...agents].reverse(),
    });
    expect(result.ok).toBe(false);
    expect(result.divergences.map((d) => `${d.kind} ${d.type}`)).toContain("missing speaker.selected");
  });

  it("reports a changed vote outcome when the voting rule changes", async () => {
    const agents = three();
    const settings: GroupSettings = { turnLimits: { maxRounds: 1 } };
    const log = await record("debate_vote", agents, "which?", settings, (w) =>
      w.payload.ask?.purpose === "ballot"
        ? { content: ballot(w.payload.agent.name === "Cy" ? "Ada" : "Bob") }
        : say(w, 0),
    );
    expect(types(log)).toContain("consensus.reached");
    const strict = { ...settings, voting: { rule: "unanimous" as const } };
    const result = await verifyTurn({ events: log, strategy: "debate_vote", settings: strict });
    expect(result.ok).toBe(false);
    const changed = result.divergences.filter((d) => d.kind !== "unanswered").map((d) => d.type);
    expect(result.divergences.find((d) => d.type === "consensus.reached")?.detail).toBe(
      "now consensus.failed",
    );
    expect(changed.some((t) => t === "vote.closed" || t.startsWith("consensus") || t === "vote.opened")).toBe(
      true,
    );
  });
});
