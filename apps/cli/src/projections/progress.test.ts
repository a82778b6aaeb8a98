import { describe, expect, it } from "vitest";
import { progressReporter } from "./projections-command.js";

const at = (seq: number, ms: number) => ({ phase: "bulk" as const, seq, target: 200, events: seq, ms });

describe("rebuild progress", () => {
  it("rewrites one line in place on a terminal, and ends it", () => {
    const out: string[] = [];
    const report = progressReporter({ isTTY: true, write: (s) => out.push(s) });
    report.update(at(50, 1000));
    report.update(at(100, 2000));
    report.done();
    expect(out).toEqual([
      "\r\x1b[2Kbulk: seq 50/200 (25%), 50 events, 50 events/s",
      "\r\x1b[2Kbulk: seq 100/200 (50%), 100 events, 50 events/s",
      "\n",
    ]);
  });

  it("writes whole lines, at most one per interval, elsewhere", () => {
    const out: string[] = [];
    const report = progressReporter({ isTTY: false, write: (s) => out.push(s) }, 60_000);
    report.update(at(50, 1000));
    report.update(at(100, 2000));
    report.done();
    expect(out).toEqual(["bulk: seq 50/200 (25%), 50 events, 50 events/s\n"]);
  });
});
