import type { events } from "@conclave/db";
import { type AnyConvEnvelope, deriveEventId, type EventType, makeEnvelope } from "@conclave/subjects";

/** The id in a fork of the original's event, turn, message or vote `id`: the same on every retry. */
export const copyId = (forkId: string, id: string): string => deriveEventId(id, `fork:${forkId}`);

/** The original's seqs to the fork's, as copies are published in order. */
export interface SeqMap {
  set(original: number, fork: number): void;
  /** The fork seq of the copy of `original`, else of the latest copy before it (0: none). */
  at(original: number): number;
}

export function createSeqMap(): SeqMap {
  const originals: number[] = [];
  const forks: number[] = [];
  return {
    set(original, fork) {
      originals.push(original);
      forks.push(fork);
    },
    at(original) {
      let lo = 0;
      let hi = originals.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((originals[mid] as number) <= original) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 ? 0 : (forks[lo - 1] as number);
    },
  };
}

type EventRow = typeof events.$inferSelect;

/**
 * The fork's copy of one recorded event of the original: the fork's group, ids derived from the
 * originals (the envelope's own and its turn's, and in its cause and payload every id of the
 * original's events, turns, messages and votes: `known`), seqs in the payload moved to the fork's,
 * and `forkedFrom` naming where it came from. Agents' and people's ids stay: they are the same.
 */
export function copyEvent(
  row: EventRow,
  fork: { forkId: string; known: ReadonlySet<string>; seqs: SeqMap },
): AnyConvEnvelope {
  const { forkId, known, seqs } = fork;
  const remap = (v: unknown): unknown => {
    if (typeof v === "string") return known.has(v) ? copyId(forkId, v) : v;
    if (Array.isArray(v)) return v.map(remap);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, remap(x)]));
    return v;
  };
  const payload = remap(row.payload) as Record<string, unknown>;
  if (row.type === "turn.started") {
    payload.messageSeq = Math.max(1, seqs.at(payload.messageSeq as number));
    const m = payload.memory as Record<string, number | null> | undefined;
    if (m)
      payload.memory = {
        ...m,
        resetSeq: seqs.at(m.resetSeq ?? 0),
        fromSeq: m.fromSeq === null || m.fromSeq === undefined ? null : seqs.at(m.fromSeq),
        toSeq: m.toSeq === null || m.toSeq === undefined ? null : seqs.at(m.toSeq),
      };
  }
  if (row.type === "memory.summarized") {
    payload.fromSeq = seqs.at(payload.fromSeq as number);
    payload.upToSeq = Math.max(1, seqs.at(payload.upToSeq as number));
  }
  return makeEnvelope({
    id: copyId(forkId, row.id),
    type: row.type as EventType,
    groupId: forkId,
    turnId: row.turnId ? copyId(forkId, row.turnId) : null,
    // A cause outside the history (the original's work item an answer came from) stays what it was.
    causationId: row.causationId ? (remap(row.causationId) as string) : null,
    actor: row.actor as AnyConvEnvelope["actor"],
    payload: payload as never,
    at: new Date(row.at).toISOString(),
    forkedFrom: { groupId: row.groupId, seq: row.seq, eventId: row.id },
  }) as AnyConvEnvelope;
}
