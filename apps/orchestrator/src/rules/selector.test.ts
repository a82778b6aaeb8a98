import { AppError } from "@conclave/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RosterAgent } from "./roster.js";
import { decideSelection, parsePick, type SelectorDecision, type SelectorLimits } from "./selector.js";

const ada = { id: "ada", name: "Ada" };
const lovelace = { id: "lovelace", name: "Ada Lovelace" };
const grace = { id: "grace", name: "Grace" };
const bo = { id: "bo", name: "Bo" };
const roster: RosterAgent[] = [ada, grace, bo, lovelace];

describe("parsePick", () => {
  it.each([
    ["Grace", "grace", ""],
    ["grace", "grace", ""],
    ["  **Grace**  ", "grace", ""],
    ["@Grace", "grace", ""],
    ['"Grace"', "grace", ""],
    ["`Grace`", "grace", ""],
    ["Grace.", "grace", ""],
    ["\n\n  Grace\n", "grace", ""],
    ["Grace: she knows SQL", "grace", "she knows SQL"],
    ["**Grace**: she knows SQL", "grace", "she knows SQL"],
    ["Grace - she knows SQL", "grace", "she knows SQL"],
    ["Grace — she knows SQL", "grace", "she knows SQL"],
    ["Grace\nshe knows SQL\nand Python", "grace", "she knows SQL\nand Python"],
    ["Grace: first\nsecond", "grace", "first\nsecond"],
    ["Ada Lovelace", "lovelace", ""],
    ["ada lovelace: maths", "lovelace", "maths"],
    ["Ada", "ada", ""],
  ])("reads %j as an agent", (text, id, rationale) => {
    const pick = parsePick(text, roster);
    expect(pick).toEqual({ kind: "agent", agent: roster.find((a) => a.id === id), rationale });
  });

  it.each([
    ["TASK_COMPLETE", ""],
    ["task_complete.", ""],
    ["**TASK_COMPLETE**", ""],
    ["TASK_COMPLETE: the answer is 42", "the answer is 42"],
  ])("reads %j as the end of the task", (text, rationale) => {
    expect(parsePick(text, roster)).toEqual({ kind: "complete", rationale });
  });

  it.each([
    ["", "empty pick"],
    ["  \n ", "empty pick"],
    ["Bob", 'not TASK_COMPLETE or a roster name: "Bob"'],
    ["I pick Grace", 'not TASK_COMPLETE or a roster name: "I pick Grace"'],
    ["Grace and Bo", 'not TASK_COMPLETE or a roster name: "Grace and Bo"'],
    ["Ada-Bot", 'not TASK_COMPLETE or a roster name: "Ada-Bot"'],
    ["Graceful", 'not TASK_COMPLETE or a roster name: "Graceful"'],
    ["TASK COMPLETE", 'not TASK_COMPLETE or a roster name: "TASK COMPLETE"'],
  ])("rejects %j", (text, why) => {
    expect(parsePick(text, roster)).toEqual({ kind: "invalid", why });
  });

  it("clips a long invalid pick", () => {
    const pick = parsePick("x".repeat(500), roster);
    expect(pick.kind === "invalid" && pick.why.length).toBeLessThan(120);
  });
});

const limits: SelectorLimits = { maxConsecutive: 2, maxRetries: 2, maxSteps: 6 };
const decide = (
  pick: string,
  history: string[],
  invalidPicks = 0,
  over: Partial<SelectorLimits> = {},
  agents = roster,
) => decideSelection({ pick, roster: agents, history, invalidPicks, limits: { ...limits, ...over } });

describe("decideSelection", () => {
  it("follows a valid pick, with its rationale in the reason", () => {
    expect(decide("Grace: she knows SQL", ["ada"])).toEqual({
      kind: "speak",
      agent: grace,
      fallback: null,
      reason: "selector chose Grace: she knows SQL",
    });
    expect(decide("Bo", []).reason).toBe("selector chose Bo");
  });

  it("lets a speaker repeat up to maxConsecutive times in a row", () => {
    expect(decide("Grace", ["ada", "grace"])).toMatchObject({ kind: "speak", agent: grace, fallback: null });
    expect(decide("Grace", ["grace", "grace", "ada"])).toMatchObject({ agent: grace, fallback: null });
  });

  it("refuses one more and picks the next seat instead", () => {
    expect(decide("Grace: again", ["ada", "grace", "grace"])).toEqual({
      kind: "speak",
      agent: bo,
      fallback: "repeat_guard",
      reason: "guard: Grace spoke 2 times in a row; picked Bo",
    });
    // Wraps around the seats.
    expect(decide("Ada Lovelace", ["lovelace", "lovelace"])).toMatchObject({
      agent: ada,
      fallback: "repeat_guard",
    });
    expect(decide("Ada", ["ada"], 0, { maxConsecutive: 1 })).toMatchObject({
      agent: grace,
      fallback: "repeat_guard",
    });
  });

  it("stops when the only agent has reached its repeat limit", () => {
    expect(decide("Ada", ["ada", "ada"], 0, {}, [ada])).toEqual({
      kind: "stop",
      code: "repeat_limit",
      reason: "guard: Ada spoke 2 times in a row and no one else can speak",
    });
    expect(decide("Ada", ["ada"], 0, {}, [ada])).toMatchObject({ kind: "speak", agent: ada });
  });

  it("asks again after an invalid pick while the retry budget lasts", () => {
    expect(decide("Bob", ["ada"], 0)).toEqual({
      kind: "retry",
      attempt: 1,
      reason: 'selector pick invalid (not TASK_COMPLETE or a roster name: "Bob"); retry 1 of 2',
    });
    expect(decide("Bob", ["ada"], 1)).toMatchObject({ kind: "retry", attempt: 2 });
  });

  it("falls back to round robin when the budget is spent", () => {
    expect(decide("Bob", ["ada"], 2)).toEqual({
      kind: "speak",
      agent: grace,
      fallback: "invalid_pick",
      reason:
        'selector pick invalid 3 times (not TASK_COMPLETE or a roster name: "Bob"); round robin picked Grace',
    });
    expect(decide("", [], 0, { maxRetries: 0 })).toMatchObject({
      agent: ada,
      fallback: "invalid_pick",
      reason: "selector pick invalid 1 time (empty pick); round robin picked Ada",
    });
  });

  it("a round-robin fallback also respects the repeat limit", () => {
    expect(decide("??", ["ada", "ada"], 2, {}, [ada])).toMatchObject({ kind: "stop", code: "repeat_limit" });
  });

  it("ends the turn on TASK_COMPLETE, even at the step limit", () => {
    expect(decide("TASK_COMPLETE: solved", ["ada"])).toEqual({
      kind: "complete",
      reason: "selector chose TASK_COMPLETE: solved",
    });
    expect(decide("TASK_COMPLETE", ["ada", "grace", "bo", "ada", "grace", "bo"]).kind).toBe("complete");
  });

  it("stops at the step limit whatever else was picked", () => {
    const full = ["ada", "grace", "bo", "ada", "grace", "bo"];
    for (const pick of ["Grace", "Bob"]) {
      expect(decide(pick, full)).toEqual({
        kind: "stop",
        code: "max_steps",
        reason: "guard: step limit of 6 speakers reached",
      });
    }
    expect(decide("Grace", full.slice(1)).kind).toBe("speak");
  });

  it("stops when there is no one to pick", () => {
    expect(decide("Ada", [], 0, {}, [])).toMatchObject({ kind: "stop", code: "no_agents" });
  });

  it("uses the default limits where none are given", () => {
    const history = Array.from({ length: 12 }, (_, i) => (i % 2 ? "ada" : "grace"));
    expect(decideSelection({ pick: "Bo", roster, history, invalidPicks: 0 })).toMatchObject({
      code: "max_steps",
    });
    expect(decideSelection({ pick: "Ada", roster, history: ["ada", "ada"], invalidPicks: 0 })).toMatchObject({
      fallback: "repeat_guard",
    });
  });

  it.each([
    [{ maxConsecutive: 0 }, 0, "maxConsecutive"],
    [{ maxRetries: -1 }, 0, "maxRetries"],
    [{ maxSteps: 0 }, 0, "maxSteps"],
    [{}, -1, "invalidPicks"],
  ])("rejects %j with invalidPicks %d", (bad, invalidPicks, path) => {
    const run = () => decide("Ada", [], invalidPicks, bad);
    expect(run).toThrow(AppError);
    expect(run).toThrow(
      expect.objectContaining({ code: "validation", fields: [expect.objectContaining({ path })] }),
    );
  });
});

describe("selector: properties", () => {
  const arbPick = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...roster.map((a) => a.name), "grace: because") },
    { weight: 3, arbitrary: fc.constantFrom("", "Bob", "I choose Ada", "🤷") },
    { weight: 1, arbitrary: fc.constant("TASK_COMPLETE") },
  );
  const arbLimits = fc.record({
    maxConsecutive: fc.integer({ min: 1, max: 3 }),
    maxRetries: fc.integer({ min: 0, max: 3 }),
    maxSteps: fc.integer({ min: 1, max: 10 }),
  });
  const arbRoster = fc.subarray(roster, { minLength: 1 });

  it("whatever the selector answers, no one exceeds the repeat limit, retries stay in budget, steps stay under the limit", () => {
    fc.assert(
      fc.property(
        arbLimits,
        arbRoster,
        fc.array(arbPick, { minLength: 1, maxLength: 40 }),
        (lim, agents, picks) => {
          const history: string[] = [];
          let invalidPicks = 0;
          let end: SelectorDecision | null = null;
          for (const pick of picks) {
            const d = decideSelection({ pick, roster: agents, history, invalidPicks, limits: lim });
            if (d.kind === "retry") {
              invalidPicks++;
              expect(invalidPicks).toBeLessThanOrEqual(lim.maxRetries);
              continue;
            }
            if (d.kind !== "speak") {
              end = d;
              break;
            }
            expect(agents).toContain(d.agent);
            history.push(d.agent.id);
            invalidPicks = 0;
            let run = 0;
            for (let i = history.length - 1; i >= 0 && history[i] === d.agent.id; i--) run++;
            expect(run).toBeLessThanOrEqual(lim.maxConsecutive);
            expect(history.length).toBeLessThanOrEqual(lim.maxSteps);
          }
          if (end?.kind === "stop" && end.code === "repeat_limit") expect(agents).toHaveLength(1);
        },
      ),
      { numRuns: 400 },
    );
  });
});
