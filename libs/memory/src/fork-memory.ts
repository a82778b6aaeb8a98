import {
  type AnyConvEnvelope,
  emptyMemory,
  type MemoryBlock,
  type MemoryEntry,
  type MemoryRecord,
  SUMMARY_ASK_ID,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import { memoryEntry, voteOutcome } from "./entries.js";
import { appendTurn, applyReset, applySummary } from "./record-ops.js";
import type { ResolvedMemory, WindowBudget } from "./settings.js";

interface OpenTurn {
  messageSeq: number;
  started: boolean;
  entries: MemoryEntry[];
  /** The seq of the turn's latest answer (a vote's outcome is remembered at it, as the orchestrator does). */
  lastSeq: number;
}

/** A fork's memory as its copies are added, oldest first. */
export interface ForkMemory {
  /** Folds in one copy (fork ids, fork seq). */
  add(seq: number, event: AnyConvEnvelope): void;
  /** The memory record so far. */
  record(): MemoryRecord;
  /** The turns whose message is in and whose end is not (cut by the fork's seq), oldest first. */
  openTurns(): string[];
}

/**
 * A fork's memory, folded from its copied history (fork ids and seqs, oldest first) by the rules
 * the orchestrator and the memory events follow live: each turn that started and ended appends its
 * message, its answers to reply asks and its vote's outcome; summaries, resets and block changes
 * apply where they happened. Pure: the same copies always give the same record. No summary is
 * asked for: what falls out of `retain` is still in the copied history (and searchable).
 */
export function forkMemory(input: {
  groupId: string;
  memory: ResolvedMemory;
  retain: WindowBudget;
}): ForkMemory {
  let record = emptyMemory(input.groupId);
  const open = new Map<string, OpenTurn>();
  let turnIndex = 0;
  const add = (seq: number, e: AnyConvEnvelope) => {
    const turn = e.turnId ? open.get(e.turnId) : undefined;
    // The orchestrator's view of a turn moves with each answer it settles.
    if (turn && (e.type === "agent.replied" || e.type === "agent.failed"))
      turn.lastSeq = Math.max(turn.lastSeq, seq);
    switch (e.type) {
      case "message.posted": {
        const turnId = e.turnId ?? e.id;
        const by = e.actor;
        const entry = memoryEntry({ seq, kind: "message", turnId, by, content: e.payload.content });
        open.set(turnId, { messageSeq: seq, started: false, entries: [entry], lastSeq: seq });
        break;
      }
      case "turn.started":
        if (turn) turn.started = true;
        break;
      case "agent.replied": {
        const p = e.payload;
        if (!turn || p.askId === SUMMARY_ASK_ID || (p.purpose !== undefined && p.purpose !== "reply")) break;
        const by = { kind: "agent" as const, id: p.agentId, name: p.agentName };
        turn.entries.push(
          memoryEntry({ seq, kind: "reply", turnId: e.turnId ?? "", by, content: p.content }),
        );
        break;
      }
      case "vote.closed":
        if (turn)
          turn.entries.push(
            memoryEntry({
              seq: turn.lastSeq,
              kind: "outcome",
              turnId: e.turnId ?? "",
              by: SYSTEM_ACTOR,
              content: voteOutcome(e.payload),
            }),
          );
        break;
      case "turn.completed":
      case "turn.failed": {
        if (!turn || !e.turnId) break;
        open.delete(e.turnId);
        // A turn that never started (refused, cancelled while queued) left nothing in memory.
        if (!turn.started) break;
        const appended = appendTurn(
          record,
          {
            turnIndex: turnIndex++,
            turnId: e.turnId,
            messageSeq: turn.messageSeq,
            entries: turn.entries,
            memory: input.memory,
            retain: input.retain,
            summarizer: null,
          },
          new Date(e.at),
        );
        if (appended) record = appended.record;
        break;
      }
      case "memory.summarized":
        record = applySummary(record, e) ?? record;
        break;
      case "memory.reset":
        record = applyReset(record, seq) ?? record;
        break;
      case "memory.updated":
        record = { ...record, blocks: withBlock(record.blocks, e), blockChanges: record.blockChanges + 1 };
        break;
      default:
        break;
    }
  };
  return { add, record: () => record, openTurns: () => [...open.keys()] };
}

/** The blocks after one recorded change: the event carries the block's value, limit and version. */
function withBlock(blocks: readonly MemoryBlock[], e: Extract<AnyConvEnvelope, { type: "memory.updated" }>) {
  const p = e.payload;
  const others = blocks.filter((b) => b.label !== p.label);
  if (p.action === "delete" || p.value === null) return others;
  const block: MemoryBlock = {
    label: p.label,
    value: p.value,
    limit: p.limit,
    version: p.version,
    updatedAt: e.at,
    updatedBy: e.actor,
  };
  return [...others, block].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}
