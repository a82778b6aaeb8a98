import {
  bareGraph,
  emptyState,
  memoryTurns,
  postedMessage,
  scriptedAgent,
} from "@conclave/orchestrator/testing";
import { type AnyEnvelope, type Envelope, makeEnvelope, newEventId } from "@conclave/subjects";

export interface GraphStepCost {
  /** CPU ms per graph step (a start or a resume), LangGraph and the turn's own decisions together. */
  cpuMsPerStep: number;
  /** CPU ms per invocation of a bare two-node graph on LangGraph's in-memory saver: LangGraph's floor. */
  bareMsPerInvoke: number;
  /** Steps per two-agent round-robin turn: the start and one resume per answer. */
  stepsPerTurn: number;
  turns: number;
}

/**
 * The floor the orchestrator cannot go below while each event is one LangGraph step: two-agent
 * round-robin turns driven through the same decisions the orchestrator makes (openTurn,
 * settleAnswer), on an in-memory checkpointer, with no NATS, no database and no I/O at all.
 */
export async function measureGraphSteps(turns = 2000, warmup = 300): Promise<GraphStepCost> {
  const { startTurn, settleAgent } = memoryTurns();
  const groupId = newEventId();
  const agents = [scriptedAgent("A"), scriptedAgent("B")];
  const at = new Date("2026-01-01T00:00:00Z");
  const turn = async () => {
    const opened = await startTurn(
      emptyState(groupId),
      postedMessage(groupId, "hi"),
      1,
      agents,
      at,
      60_000,
      [],
      "round_robin",
    );
    let state = opened.state;
    let emitted: AnyEnvelope[] = opened.emit;
    for (let k = 0; k < agents.length; k++) {
      const work = emitted.filter((e): e is Envelope<"work.llm"> => e.type === "work.llm").at(-1);
      const who = agents.find((a) => a.id === work?.payload.agent.id);
      if (!work || !who) throw new Error("the turn asked nobody");
      const reply = makeEnvelope({
        id: newEventId(),
        groupId,
        turnId: state.active?.turnId ?? null,
        causationId: work.id,
        actor: { kind: "agent", id: who.id },
        type: "agent.replied",
        payload: {
          agentId: who.id,
          askId: work.payload.ask?.id,
          agentName: who.name,
          content: "x",
          provider: "scripted",
          model: "m",
          latencyMs: 1,
        },
      });
      const settled = await settleAgent(state, reply, at, 2 + k);
      if (!settled) throw new Error("the answer was stale");
      state = settled.state;
      emitted = settled.emit;
    }
    if (state.active) throw new Error("the turn did not end");
  };
  const cpuMs = async (each: () => Promise<void>, times: number) => {
    for (let i = 0; i < warmup; i++) await each();
    const before = process.cpuUsage();
    for (let i = 0; i < times; i++) await each();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };
  const stepsPerTurn = 1 + agents.length;
  const cpuMsPerStep = (await cpuMs(turn, turns)) / turns / stepsPerTurn;
  const bare = bareGraph();
  let thread = 0;
  const bareMsPerInvoke =
    (await cpuMs(() => bare.run(`t${thread++}`), turns)) / turns / bare.invocationsPerRun;
  return { cpuMsPerStep, bareMsPerInvoke, stepsPerTurn, turns };
}
