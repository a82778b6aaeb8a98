import { describe, expect, it } from "vitest";
import { nextInSeatOrder, trailingRun } from "./roster.js";

const roster = [
  { id: "a", name: "A" },
  { id: "b", name: "B" },
  { id: "c", name: "C" },
];

describe("roster", () => {
  it.each([
    [null, "a"],
    ["a", "b"],
    ["c", "a"],
    ["gone", "a"],
  ])("after %s comes %s", (last, next) => {
    expect(nextInSeatOrder(roster, last)?.id).toBe(next);
  });

  it("has no next seat in an empty roster, and itself in a roster of one", () => {
    expect(nextInSeatOrder([], "a")).toBeNull();
    expect(nextInSeatOrder(roster.slice(0, 1), "a")?.id).toBe("a");
  });

  it.each([
    [[], 0],
    [["a"], 1],
    [["a", "b", "b"], 2],
    [["b", "b", "a", "b", "b", "b"], 3],
  ])("counts the last speaker's run in %j as %d", (history, run) => {
    expect(trailingRun(history)).toBe(run);
  });
});
