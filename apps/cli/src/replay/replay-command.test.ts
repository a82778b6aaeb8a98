import { describe, expect, it } from "vitest";
import { UsageError } from "../dlq-command.js";
import { createProgress } from "../term/progress.js";
import { parseReplayArgs, replayQuery } from "./replay-command.js";

const g = "01a24d3b-4a83-76f5-b0b4-3ca1fbc45c43";

describe("conclave replay's command line", () => {
  it("turns flags into the API's query", () => {
    const a = parseReplayArgs(
      [
        g,
        "--turn",
        "t1",
        "--from-seq",
        "10",
        "--to-seq",
        "20",
        "--since",
        "2026-01-01T00:00:00Z",
        "--format",
        "ndjson",
      ],
      "usage",
    );
    expect(a).toMatchObject({
      groupId: g,
      turnId: "t1",
      fromSeq: 10,
      toSeq: 20,
      format: "ndjson",
      follow: false,
    });
    expect(replayQuery(a)).toBe(
      `/v1/groups/${g}/replay?turnId=t1&fromSeq=10&toSeq=20&since=2026-01-01T00%3A00%3A00Z`,
    );
    expect(replayQuery(parseReplayArgs([g], "usage"))).toBe(`/v1/groups/${g}/replay`);
    expect(parseReplayArgs([g, "--follow"], "usage")).toMatchObject({ follow: true, format: "pretty" });
  });

  it("refuses what cannot run, naming it", () => {
    const refused = (argv: string[]) => {
      try {
        parseReplayArgs(argv, "USAGE");
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        expect((e as Error).message).toContain("USAGE");
        return (e as Error).message.split("\n")[0];
      }
      throw new Error(`accepted ${argv.join(" ")}`);
    };
    expect(refused([])).toBe("replay needs a group id");
    expect(refused([g, "--from-seq", "x"])).toBe("--from-seq is a stream seq (0 or more)");
    expect(refused([g, "--to-seq", "-3"])).toMatch(/--to-seq/);
    expect(refused([g, "--format", "yaml"])).toBe("--format is one of pretty, json, ndjson");
    expect(refused([g, "--follow", "--to-seq", "9"])).toMatch(/^--follow goes on after the range/);
    expect(refused([g, "--follow", "--until", "2026-01-01T00:00:00Z"])).toMatch(/^--follow/);
    expect(refused([g, "--bogus"])).toMatch(/bogus/);
    expect(refused([g, "extra"])).toBe("unexpected extra");
    expect(refused([g, "--prompts"])).toMatch(/^--prompts shows one turn/);
    expect(refused([g, "--prompts", "--turn", "t", "--follow"])).toMatch(/^--prompts/);
    expect(refused([g, "--prompts", "--turn", "t", "--from-seq", "3"])).toMatch(/^--prompts/);
    expect(parseReplayArgs([g, "--prompts", "--turn", "t"], "USAGE")).toMatchObject({
      prompts: true,
      turnId: "t",
    });
  });
});

describe("the progress bar", () => {
  const sink = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, out: { isTTY, write: (s: string) => written.push(s) > 0 } };
  };

  it("draws on a terminal, for a long range only, and clears itself", () => {
    let t = 0;
    const tty = sink(true);
    const bar = createProgress(tty.out, "replaying", { minTotal: 100, now: () => (t += 1000) });
    bar.advance(50, 200);
    bar.advance(150, 200);
    bar.done();
    expect(tty.written).toEqual([
      `\rreplaying [${"#".repeat(8)}${"-".repeat(22)}] 50/200`,
      `\rreplaying [${"#".repeat(30)}] 200/200`,
      "\r\u001b[2K",
    ]);
    const short = sink(true);
    const quiet = createProgress(short.out, "replaying", { minTotal: 100 });
    quiet.advance(10, 10);
    quiet.done();
    expect(short.written).toEqual([]);
  });

  it("writes nothing when stderr is not a terminal", () => {
    const pipe = sink(false);
    const bar = createProgress(pipe.out, "replaying");
    bar.advance(5000, 10_000);
    bar.done();
    expect(pipe.written).toEqual([]);
  });
});
