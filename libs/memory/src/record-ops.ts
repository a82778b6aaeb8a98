import {
  type AgentSnapshot,
  type ConversationMessage,
  deriveEventId,
  type Envelope,
  MAX_WINDOW_TOKENS,
  type MemoryEntry,
  type MemoryRecord,
  type SummarizeWork,
} from "@conclave/subjects";
import { attributed } from "./entries.js";
import type { ResolvedMemory, WindowBudget } from "./settings.js";
import { tokensOf, windowStart } from "./window.js";

/** How many appended turn ids a record remembers (appends come in turn order, so a few suffice). */
const RECENT_TURNS = 64;

/** The most a memory record holds, summary or not (search still finds what falls out). */
const HARD_LIMIT: WindowBudget = { windowTokens: 2 * MAX_WINDOW_TOKENS, maxMessages: 1_000 };

/** One ended turn's entries, as the orchestrator appends them to the group's memory. */
export interface TurnAppend {
  turnIndex: number;
  turnId: string;
  messageSeq: number;
  entries: MemoryEntry[];
  memory: ResolvedMemory;
  /** The largest window of the group's agents: without a summarizer, what memory keeps. */
  retain: WindowBudget;
  /** Who writes summaries for this group (null: nobody; entries then just fall out). */
  summarizer: AgentSnapshot | null;
}

/** A summary to ask for: its work item's id, what it covers, and the summarizer's messages. */
export interface SummaryJob {
  workId: string;
  agent: AgentSnapshot;
  summarize: SummarizeWork;
  messages: ConversationMessage[];
}

/**
 * Appends an ended turn (once: a turn already in is skipped; a turn from before the reset fence is
 * forgotten whole). When what fell out of the group's window since the last summary reaches the
 * threshold and no summary is under way, asks for one; without a summarizer, entries past the
 * retention limits drop. Null: nothing to change.
 */
export function appendTurn(
  record: MemoryRecord,
  append: TurnAppend,
  now: Date,
): { record: MemoryRecord; job: SummaryJob | null } | null {
  if (record.turns.includes(append.turnId)) return null;
  const forgotten = append.messageSeq <= record.resetSeq;
  const entries = forgotten ? record.entries : [...record.entries, ...append.entries];
  const turns = [...record.turns, append.turnId].slice(-RECENT_TURNS);
  let next: MemoryRecord = { ...record, turns, entries };
  let job: SummaryJob | null = null;
  const start = windowStart(entries, append.memory);
  if (append.summarizer && append.memory.enabled && !record.summarizing) {
    const fallen = tokensOf(entries, 0, start);
    if (start > 0 && fallen >= append.memory.summarizeAfterTokens) {
      job = summaryJob(next, entries.slice(0, start), append.summarizer);
      next = {
        ...next,
        summarizing: {
          workId: job.workId,
          fromSeq: job.summarize.fromSeq,
          upToSeq: job.summarize.upToSeq,
          since: now.toISOString(),
          published: false,
        },
      };
    }
  }
  // Bounded whatever happens (a summary under way has its own copy of what it covers); without a
  // summarizer, only what the largest window of the group's agents can use is kept.
  const keep = windowStart(entries, append.summarizer && append.memory.enabled ? HARD_LIMIT : append.retain);
  if (keep > 0) next = { ...next, entries: entries.slice(keep) };
  return { record: next, job };
}

/** The summary work item for `covered` (the previous summary is folded in). */
function summaryJob(record: MemoryRecord, covered: MemoryEntry[], agent: AgentSnapshot): SummaryJob {
  const first = covered[0] as MemoryEntry;
  const last = covered.at(-1) as MemoryEntry;
  const upToSeq = last.seq;
  const fromSeq = record.summary?.fromSeq ?? first.seq;
  const workId = deriveEventId(record.groupId, `memory.summary:${upToSeq}:${record.summaryAttempts}`);
  return {
    workId,
    agent,
    summarize: { fromSeq, upToSeq, previousId: record.summary?.eventId ?? null },
    messages: summaryMessages(record.summary?.text ?? null, covered),
  };
}

/** What a summarizer is asked: the earlier summary, the conversation to add, and how to answer. */
export function summaryMessages(
  previous: string | null,
  covered: readonly MemoryEntry[],
): ConversationMessage[] {
  const transcript = covered.map((e) => attributed(e)).join("\n\n");
  const parts = [
    "Summarize this group conversation for its participants' memory. Keep names, facts, decisions, open questions and what each participant committed to; drop pleasantries. Write plain prose, at most about 300 words, and nothing else.",
  ];
  if (previous) parts.push(`The summary so far:\n${previous}`);
  parts.push(`${previous ? "The conversation since" : "The conversation"}:\n${transcript}`);
  return [{ role: "user", content: parts.join("\n\n") }];
}

/** The summary's work item went out: recovery no longer re-sends it. Null: not that summary. */
export function markPublished(record: MemoryRecord, workId: string): MemoryRecord | null {
  const s = record.summarizing;
  if (!s || s.workId !== workId || s.published) return null;
  return { ...record, summarizing: { ...s, published: true } };
}

/**
 * A summary came in: later prompts start from it, and the entries it covers leave the record.
 * Null: already applied, superseded, or from before a reset.
 */
export function applySummary(record: MemoryRecord, e: Envelope<"memory.summarized">): MemoryRecord | null {
  const p = e.payload;
  if ((record.summary && record.summary.upToSeq >= p.upToSeq) || p.upToSeq <= record.resetSeq) {
    return record.summarizing?.upToSeq === p.upToSeq ? { ...record, summarizing: null } : null;
  }
  return {
    ...record,
    summary: { eventId: e.id, fromSeq: p.fromSeq, upToSeq: p.upToSeq, text: p.summary, tokens: p.tokens },
    entries: record.entries.filter((x) => x.seq > p.upToSeq),
    summarizing: record.summarizing && record.summarizing.upToSeq <= p.upToSeq ? null : record.summarizing,
  };
}

/** A summary could not be made: the next crossing asks again, under a new id. Null: not that one. */
export function failSummary(record: MemoryRecord, workId: string): MemoryRecord | null {
  if (record.summarizing?.workId !== workId) return null;
  return { ...record, summarizing: null, summaryAttempts: record.summaryAttempts + 1 };
}

/** `memory.reset` at stream seq `seq`: later prompts start after it. Null: an earlier reset (or this one) is in. */
export function applyReset(record: MemoryRecord, seq: number): MemoryRecord | null {
  if (record.resetSeq >= seq) return null;
  return {
    ...record,
    resetSeq: seq,
    entries: record.entries.filter((x) => x.seq > seq),
    summary: null,
    summarizing: null,
  };
}

/**
 * The work item of a summary asked for whose publication was not confirmed (a crash in between):
 * rebuilt from the record exactly as first made, so re-sending it is deduplicated. Null: none pending.
 */
export function unpublishedJob(record: MemoryRecord, summarizer: AgentSnapshot | null): SummaryJob | null {
  const s = record.summarizing;
  if (!s || s.published || !summarizer) return null;
  const covered = record.entries.filter((e) => e.seq <= s.upToSeq);
  if (covered.length === 0) return null;
  const job = summaryJob(record, covered, summarizer);
  return job.workId === s.workId ? job : null;
}
