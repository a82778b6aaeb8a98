import { describe, expect, it } from "vitest";
import { UsageError } from "./dlq-command.js";
import { formatReport, parseRetentionArgs } from "./retention-command.js";

const GROUP = "01a24e0e-eaa5-7731-acad-e2fd69e39ae2";

describe("conclave retention run", () => {
  it("reads its options", () => {
    expect(parseRetentionArgs(["run"], "u")).toEqual({ dryRun: false, json: false });
    expect(
      parseRetentionArgs(
        ["run", "--dry-run", "--json", "--group", GROUP.toUpperCase(), "--now", "2030-01-02T03:04:05Z"],
        "u",
      ),
    ).toEqual({ dryRun: true, json: true, groupId: GROUP, now: new Date("2030-01-02T03:04:05Z") });
  });

  it("refuses what it does not know", () => {
    for (const args of [
      [],
      ["sweep"],
      ["run", "--group"],
      ["run", "--group", "not-a-uuid"],
      ["run", "--now", "someday"],
      ["run", "--force"],
    ])
      expect(() => parseRetentionArgs(args, "u"), args.join(" ")).toThrow(UsageError);
  });

  it("prints what each group loses", () => {
    const text = formatReport({
      dryRun: true,
      now: "2030-01-02T00:00:00.000Z",
      ms: 12,
      groups: [
        {
          groupId: GROUP,
          retentionDays: 30,
          cutoff: "2029-12-03T00:00:00.000Z",
          keepFromSeq: 41,
          heldBy: ["unfinished turn"],
          stream: { filter: `ns.conv.${GROUP}.>`, messages: 17 },
          rows: { events: 17, messages: 6, turns: 2, votes: 1, vote_ballots: 3, llm_calls: 5, files: 1 },
          turnIds: ["t1", "t2"],
          fileIds: ["f1"],
          checkpointKeys: [],
          memoryEntries: 4,
        },
        { ...emptyGroup(), groupId: "g2" },
      ],
    });
    expect(text).toBe(
      [
        "retention dry run at 2030-01-02T00:00:00.000Z: 2 group(s) with a limit, 12 ms",
        `group ${GROUP} (30 days, cut-off 2029-12-03T00:00:00.000Z):`,
        "  keeps seq 41 on (held back by: unfinished turn)",
        `  stream ns.conv.${GROUP}.>: would remove 17 message(s) below seq 41`,
        "  rows: events 17, messages 6, turns 2, votes 1, vote_ballots 3, llm_calls 5, files 1",
        "  turns: 2, files: 1, memory window entries: 4, checkpoint keys: 0",
        "group g2 (1 day, cut-off 2030-01-01T00:00:00.000Z): nothing recorded",
        "",
      ].join("\n"),
    );
  });
});

function emptyGroup() {
  return {
    retentionDays: 1,
    cutoff: "2030-01-01T00:00:00.000Z",
    keepFromSeq: null,
    heldBy: [],
    stream: { filter: "x", messages: 0 },
    rows: { events: 0, messages: 0, turns: 0, votes: 0, vote_ballots: 0, llm_calls: 0, files: 0 },
    turnIds: [],
    fileIds: [],
    checkpointKeys: [],
    memoryEntries: 0,
  };
}
