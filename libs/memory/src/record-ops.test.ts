import {
  type AgentSnapshot,
  type Envelope,
  emptyMemory,
  type MemoryEntry,
  makeEnvelope,
  newEventId,
} from "@conclave/subjects";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { memoryEntry } from "./entries.js";
import {
  appendTurn,
  applyReset,
  applySummary,
  failSummary,
  type TurnAppend,
  unpublishedJob,
} from "./record-ops.js";
import { renderHistory } from "./render.js";
import { resolveMemory } from "./settings.js";
import { windowStart } from "./window.js";

const groupId = newEventId();
const now = new Date("2026-12-04T12:00:00.000Z");
const ada = { kind: "agent" as const, id: newEventId(), name: "Ada" };
const lin = { kind: "user" as const, id: newEventId(), name: "Lin" };
const summarizer: AgentSnapshot = {
  id: newEventId(),
  name: "summarizer",
  provider: "scripted",
  model: "scripted",
  systemPrompt: "",
  allowedTools: [],
  scripted: {},
};

/** Turn `i`: Lin's message at seq 3i+1 and Ada's answer at 3i+2, each about `words` words. */
function turnAppend(i: number, words = 10, over: Partial<TurnAppend> = {}): TurnAppend {
  const turnId = newEventId();
  const text = (who: string) => `${who} ${i}: ${"word ".repeat(words)}`.trim();
  return {
    turnIndex: i,
    turnId,
    messageSeq: 3 * i + 1,
    entries: [
      memoryEntry({ seq: 3 * i + 1, kind: "message", turnId, by: lin, content: text("Lin") }),
      memoryEntry({ seq: 3 * i + 2, kind: "reply", turnId, by: ada, content: text("Ada") }),
    ],
    memory: resolveMemory({ windowTokens: 200, summarizeAfterTokens: 100 }),
    retain: { windowTokens: 200, maxMessages: 50 },
    summarizer,
    ...over,
  };
}

const summarized = (upToSeq: number, fromSeq = 1): Envelope<"memory.summarized"> =>
  makeEnvelope({
    id: newEventId(),
    type: "memory.summarized",
    groupId,
    turnId: null,
    causationId: null,
    actor: { kind: "agent", id: summarizer.id, name: "summarizer" },
    payload: {
      fromSeq,
      upToSeq,
      summary: `all before ${upToSeq}`,
      tokens: 4,
      previousId: null,
      agentId: summarizer.id,
      provider: "scripted",
      model: "scripted",
    },
  });

describe("the window", () => {
  const entry = (seq: number, tokens: number): MemoryEntry => ({
    seq,
    kind: "message",
    turnId: "t",
    by: lin,
    content: "x",
    tokens,
  });
  it("is the newest contiguous tail within both budgets, and looks at no more than it takes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 30 }),
        (sizes, windowTokens, maxMessages) => {
          const entries = sizes.map((t, i) => entry(i, t));
          const start = windowStart(entries, { windowTokens, maxMessages });
          const kept = entries.slice(start);
          const used = kept.reduce((n, e) => n + e.tokens, 0);
          expect(used).toBeLessThanOrEqual(windowTokens);
          expect(kept.length).toBeLessThanOrEqual(maxMessages);
          // Maximal: one more (the next older) would break a budget.
          if (start > 0 && kept.length < maxMessages)
            expect(used + (entries[start - 1] as MemoryEntry).tokens).toBeGreaterThan(windowTokens);
        },
      ),
    );
  });
});

describe("appending turns", () => {
  it("appends a turn once, whatever the redeliveries", () => {
    const a = turnAppend(0);
    const once = appendTurn(emptyMemory(groupId), a, now);
    expect(once?.record.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(appendTurn(once?.record ?? emptyMemory(groupId), a, now)).toBeNull();
  });

  it("asks for one summary when what fell out of the window passes the threshold, then none until it is in", () => {
    let r = emptyMemory(groupId);
    const jobs: number[] = [];
    for (let i = 0; i < 12; i++) {
      const d = appendTurn(r, turnAppend(i), now);
      if (!d) throw new Error("not appended");
      r = d.record;
      if (d.job) jobs.push(d.job.summarize.upToSeq);
    }
    expect(jobs.length).toBe(1);
    const upTo = jobs[0] as number;
    expect(r.summarizing?.upToSeq).toBe(upTo);
    // The job covers exactly what fell out of the window, oldest first.
    const job = unpublishedJob(r, summarizer);
    expect(job?.workId).toBe(r.summarizing?.workId);
    const covered = job?.messages[0]?.content ?? "";
    expect(covered).toContain("[Lin]: Lin 0:");
    expect(covered).not.toContain(`Lin ${(upTo + 2) / 3}:`);
    // In: entries it covers leave, later prompts start from it.
    const applied = applySummary(r, summarized(upTo));
    expect(applied?.summary?.upToSeq).toBe(upTo);
    expect(applied?.summarizing).toBeNull();
    expect(applied?.entries.every((e) => e.seq > upTo)).toBe(true);
    // A redelivered summary changes nothing.
    expect(applySummary(applied ?? r, summarized(upTo))).toBeNull();
  });

  it("retries a failed summary under a new work id", () => {
    let r = emptyMemory(groupId);
    let first: string | undefined;
    for (let i = 0; i < 12 && !first; i++) {
      const d = appendTurn(r, turnAppend(i), now);
      r = d?.record ?? r;
      first = d?.job?.workId;
    }
    const failed = failSummary(r, first as string);
    expect(failed?.summarizing).toBeNull();
    const again = appendTurn(failed ?? r, turnAppend(20), now);
    expect(again?.job?.workId).toBeDefined();
    expect(again?.job?.workId).not.toBe(first);
  });

  it("without a summarizer keeps only what the largest window can use", () => {
    let r = emptyMemory(groupId);
    for (let i = 0; i < 100; i++)
      r = appendTurn(r, turnAppend(i, 10, { summarizer: null }), now)?.record ?? r;
    expect(r.summarizing).toBeNull();
    expect(r.entries.reduce((n, e) => n + e.tokens, 0)).toBeLessThanOrEqual(200);
    expect(r.entries.at(-1)?.seq).toBe(3 * 99 + 2);
  });

  it("forgets everything up to a reset, and a turn whose message came before it", () => {
    let r = emptyMemory(groupId);
    for (let i = 0; i < 3; i++) r = appendTurn(r, turnAppend(i), now)?.record ?? r;
    const reset = applyReset(r, 7) ?? r;
    expect(reset.entries.map((e) => e.seq)).toEqual([8]);
    expect(applyReset(reset, 7)).toBeNull();
    const late = appendTurn(reset, turnAppend(2, 10, { turnId: newEventId(), messageSeq: 6 }), now);
    expect(late?.record.entries.map((e) => e.seq)).toEqual([8]);
  });
});

describe("rendering", () => {
  it("gives an agent its own answers as the assistant and everyone else attributed by name", () => {
    const t = turnAppend(0);
    const bob = { kind: "agent" as const, id: newEventId(), name: "Bob" };
    const entries = [
      ...t.entries,
      memoryEntry({ seq: 3, kind: "reply", turnId: t.turnId, by: bob, content: "Bob here" }),
      memoryEntry({ seq: 3, kind: "outcome", turnId: t.turnId, by: lin, content: "The group chose Bob." }),
    ];
    expect(renderHistory(entries, ada.id).map((m) => [m.role, "name" in m ? m.name : undefined])).toEqual([
      ["user", "Lin"],
      ["assistant", undefined],
      ["user", "Bob"],
      ["user", undefined],
    ]);
    expect(renderHistory(entries, bob.id)[2]).toEqual({ role: "assistant", content: "Bob here" });
    expect(renderHistory(entries, bob.id)[1]).toEqual({
      role: "user",
      name: "Ada",
      content: `[Ada]: ${t.entries[1]?.content}`,
    });
  });
});
