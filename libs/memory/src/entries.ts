import type { Actor, MemoryEntry, VoteClosed } from "@conclave/subjects";
import { countTokens, MESSAGE_OVERHEAD_TOKENS } from "./tokens.js";

/** The most of one message or answer memory keeps (the whole text stays in its event and is searchable). */
export const ENTRY_MAX_CHARS = 8_000;

const cut = (s: string) =>
  s.length <= ENTRY_MAX_CHARS ? s : `${s.slice(0, ENTRY_MAX_CHARS)}… [cut: ${s.length} characters in all]`;

/** Who an entry is attributed to in a prompt. */
export const speakerName = (by: Actor): string => by.name ?? by.id;

/** An entry's text as another participant sees it: attributed by name (a vote's outcome by `[vote]`). */
export function attributed(entry: Pick<MemoryEntry, "kind" | "by" | "content">): string {
  return entry.kind === "outcome"
    ? `[vote] ${entry.content}`
    : `[${speakerName(entry.by)}]: ${entry.content}`;
}

/** A memory entry, its text cut to `ENTRY_MAX_CHARS` and its cost counted once, attributed. */
export function memoryEntry(input: Omit<MemoryEntry, "tokens">): MemoryEntry {
  const entry = { ...input, content: cut(input.content) };
  return { ...entry, tokens: countTokens(attributed(entry)) + MESSAGE_OVERHEAD_TOKENS };
}

/** What a closed vote leaves in the conversation: who the group chose and by how many, never ballots. */
export function voteOutcome(closed: Pick<VoteClosed, "winner" | "choices" | "turnout" | "reason">): string {
  const voted = closed.turnout.voted;
  if (closed.winner === null) return `The group reached no consensus: ${closed.reason}`;
  const count = closed.choices.find((c) => c.choice === closed.winner)?.count ?? 0;
  return `The group chose ${closed.winner}'s answer, ${count} of ${voted} ${voted === 1 ? "vote" : "votes"}.`;
}
