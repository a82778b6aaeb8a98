import { AppError } from "@conclave/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RosterAgent } from "./roster.js";
import { nextRoundRobin, type RoundRobinStep, roundRobinOrder } from "./round-robin.js";

const roster: RosterAgent[] = [
  { id: "ada", name: "Ada" },
  { id: "grace", name: "Grace" },
  { id: "lin", name: "Lin" },
];

describe("round robin", () => {
  it("orders the roster by seat, round after round", () => {
    const order = roundRobinOrder(roster, 2);
    expect(order.map((s) => [s.agentId, s.round, s.seat, s.position])).toEqual([
      ["ada", 1, 1, 0],
      ["grace", 1, 2, 1],
      ["lin", 1, 3, 2],
      ["ada", 2, 1, 3],
      ["grace", 2, 2, 4],
      ["lin", 2, 3, 5],
    ]);
    expect(order[5]?.reason).toBe("round 2, seat 3");
  });

  it.each([
    [[], "ada", "round 1, seat 1", 0],
    [["ada"], "grace", "round 1, seat 2", 1],
    [["ada", "grace", "lin"], "ada", "round 2, seat 1", 3],
    [["ada", "grace", "lin", "ada", "grace"], "lin", "round 2, seat 3", 5],
  ])("after %j, %s speaks (%s) and sees %d answers", (history, id, reason, previousAnswers) => {
    const step = nextRoundRobin({ roster, rounds: 2, history });
    expect(step).toMatchObject({ kind: "speak", slot: { agentId: id }, reason, previousAnswers });
  });

  it("is done after the last round", () => {
    const history = roundRobinOrder(roster, 2).map((s) => s.agentId);
    expect(nextRoundRobin({ roster, rounds: 2, history })).toEqual({
      kind: "done",
      reason: "round robin done: 2 rounds of 3",
    });
    expect(nextRoundRobin({ roster: roster.slice(0, 1), rounds: 1, history: ["ada"] }).reason).toBe(
      "round robin done: 1 round of 1",
    );
  });

  it("is done at once with no agents", () => {
    expect(nextRoundRobin({ roster: [], rounds: 3, history: [] })).toEqual({
      kind: "done",
      reason: "round robin done: no agents",
    });
  });

  it("refuses a history that is not the order's prefix", () => {
    expect(() => nextRoundRobin({ roster, rounds: 1, history: ["grace"] })).toThrow(
      "round-robin history diverges at position 0: expected ada, got grace",
    );
    expect(() => nextRoundRobin({ roster, rounds: 1, history: ["ada", "grace", "lin", "ada"] })).toThrow(
      "expected the end, got ada",
    );
  });

  it.each([0, -1, 1.5])("rejects %d rounds", (rounds) => {
    expect(() => roundRobinOrder(roster, rounds)).toThrow(AppError);
  });

  it("walks the whole order and then stops, every agent once per round", () => {
    const agents = fc
      .uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 6 })
      .map((ids) => ids.map((id) => ({ id, name: id.toUpperCase() })));
    fc.assert(
      fc.property(agents, fc.integer({ min: 1, max: 4 }), (agentsIn, rounds) => {
        const history: string[] = [];
        let step: RoundRobinStep = nextRoundRobin({ roster: agentsIn, rounds, history });
        while (step.kind === "speak") {
          expect(step.previousAnswers).toBe(history.length);
          history.push(step.slot.agentId);
          step = nextRoundRobin({ roster: agentsIn, rounds, history });
        }
        expect(history).toEqual(roundRobinOrder(agentsIn, rounds).map((s) => s.agentId));
        expect(history).toHaveLength(agentsIn.length * rounds);
        for (const a of agentsIn) expect(history.filter((id) => id === a.id)).toHaveLength(rounds);
      }),
      { numRuns: 200 },
    );
  });
});
