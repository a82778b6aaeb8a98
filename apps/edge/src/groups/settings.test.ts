import { describe, expect, it } from "vitest";
import { issues } from "../http/validate.js";
import { settingsView } from "./group-view.js";
import { GroupSettingsInput, GroupSettingsPatch } from "./schemas.js";
import { mergeSettings, patchedSettingsIssues, selectorIssue, storedSettings } from "./settings.js";

const failing = (input: unknown) => {
  const r = GroupSettingsInput.safeParse(input);
  return r.success ? [] : issues(r.error, "body.settings").map((i) => i.path);
};

describe("group settings input", () => {
  it("accepts every setting at once", () => {
    const input = {
      turnLimits: { maxAgentSteps: 500, maxRounds: 3 },
      voting: {
        rule: "supermajority",
        threshold: 0.75,
        quorum: { kind: "share", min: 0.5 },
        deadlineMs: 1000,
      },
      selectorAgentId: "0195b3a0-0000-7000-8000-000000000001",
      mentionFallback: "round_robin",
      concurrentInput: "reject",
    };
    expect(GroupSettingsInput.parse(input)).toEqual(input);
  });

  it("names every bad field", () => {
    expect(
      failing({
        turnLimits: { maxAgentSteps: 0 },
        voting: { quorum: { kind: "count", min: 1.5 }, deadlineMs: 999 },
        selectorAgentId: "Ada",
        mentionFallback: "shout",
      }),
    ).toEqual(
      expect.arrayContaining([
        "body.settings.turnLimits.maxAgentSteps",
        "body.settings.voting.quorum.min",
        "body.settings.voting.deadlineMs",
        "body.settings.selectorAgentId",
        "body.settings.mentionFallback",
      ]),
    );
    expect(failing({ turnLimits: { maxAgentSteps: 501 } })).toEqual([
      "body.settings.turnLimits.maxAgentSteps",
    ]);
    expect(failing({ voting: { quorum: { kind: "share", min: 1.5 } } })).toEqual([
      "body.settings.voting.quorum.min",
    ]);
    expect(failing({ voting: { quorum: { kind: "most", min: 1 } } })).toEqual([
      "body.settings.voting.quorum.kind",
    ]);
  });

  it("takes a threshold with a supermajority, and only then", () => {
    for (const threshold of [0.5, 0, 1.01])
      expect(failing({ voting: { rule: "supermajority", threshold } })).toEqual([
        "body.settings.voting.threshold",
      ]);
    expect(failing({ voting: { rule: "supermajority" } })).toEqual(["body.settings.voting.threshold"]);
    expect(failing({ voting: { rule: "majority", threshold: 0.7 } })).toEqual([
      "body.settings.voting.threshold",
    ]);
    expect(failing({ voting: { threshold: 0.7 } })).toEqual(["body.settings.voting.threshold"]);
    expect(failing({ voting: { rule: "supermajority", threshold: 1 } })).toEqual([]);
  });

  it("stores a null selector as none", () => {
    expect(storedSettings({ selectorAgentId: null, mentionFallback: "none" })).toEqual({
      mentionFallback: "none",
    });
  });
});

describe("the settings view", () => {
  it("shows every policy's effective value", () => {
    expect(settingsView({})).toEqual({
      turnLimits: {},
      voting: { rule: "majority", quorum: { kind: "count", min: 1 }, deadlineMs: 60_000 },
      selectorAgentId: null,
      mentionFallback: "broadcast",
      concurrentInput: "enqueue",
      retentionDays: null,
      memory: {
        enabled: true,
        windowTokens: 4_000,
        maxMessages: 50,
        summarizeAfterTokens: 2_000,
        summarizerAgentId: null,
      },
    });
    expect(settingsView({ voting: { rule: "supermajority", threshold: 0.8 } }).voting).toEqual({
      rule: "supermajority",
      threshold: 0.8,
      quorum: { kind: "count", min: 1 },
      deadlineMs: 60_000,
    });
  });
});

describe("a settings merge patch", () => {
  const patch = (p: unknown) => GroupSettingsPatch.parse(p);

  it("changes given keys of the ballot and resets null ones", () => {
    const current = {
      voting: { rule: "supermajority" as const, threshold: 0.7, deadlineMs: 5000 },
      selectorAgentId: "a",
      mentionFallback: "none" as const,
    };
    expect(
      mergeSettings(
        current,
        patch({ voting: { deadlineMs: null, quorum: { kind: "share", min: 0.5 } }, mentionFallback: null }),
      ),
    ).toEqual({
      voting: { rule: "supermajority", threshold: 0.7, quorum: { kind: "share", min: 0.5 } },
      selectorAgentId: "a",
    });
    expect(mergeSettings(current, patch({ voting: null, selectorAgentId: null }))).toEqual({
      mentionFallback: "none",
    });
  });

  it("drops the stored threshold when the rule moves off supermajority, and asks for one when it moves on", () => {
    const sup = { voting: { rule: "supermajority" as const, threshold: 0.7 } };
    const off = patch({ voting: { rule: "unanimous" } });
    const moved = mergeSettings(sup, off);
    expect(moved.voting).toEqual({ rule: "unanimous" });
    expect(patchedSettingsIssues(moved, off)).toEqual([]);

    const on = patch({ voting: { rule: "supermajority" } });
    expect(patchedSettingsIssues(mergeSettings({}, on), on).map((i) => i.path)).toEqual([
      "body.settings.voting.threshold",
    ]);
    const stray = patch({ voting: { threshold: 0.9 } });
    expect(patchedSettingsIssues(mergeSettings({}, stray), stray).map((i) => i.path)).toEqual([
      "body.settings.voting.threshold",
    ]);
    const both = patch({ voting: { rule: "supermajority", threshold: 0.9 } });
    expect(patchedSettingsIssues(mergeSettings({}, both), both)).toEqual([]);
  });

  it("names a selector that does not sit in the group", () => {
    expect(selectorIssue("x", ["y"], "body.settings.selectorAgentId")).toEqual([
      { path: "body.settings.selectorAgentId", message: "must be an agent seated in this group" },
    ]);
    expect(selectorIssue("y", ["y"], "p")).toEqual([]);
    expect(selectorIssue(null, [], "p")).toEqual([]);
  });
});
