import type { MemoryEntry } from "@conclave/subjects";
import type { WindowBudget } from "./settings.js";

/**
 * Where a window starts in `entries` (oldest first): the newest entries that fit the budget, taken
 * newest first and stopping at the first that does not fit, so a window is always a contiguous tail.
 * Costs O(window), never O(entries).
 */
export function windowStart(entries: readonly MemoryEntry[], budget: WindowBudget): number {
  let tokens = 0;
  let start = entries.length;
  while (start > 0 && entries.length - start < budget.maxMessages) {
    const next = entries[start - 1] as MemoryEntry;
    if (tokens + next.tokens > budget.windowTokens) break;
    tokens += next.tokens;
    start--;
  }
  return start;
}

/** Tokens of `entries[from..to)`. */
export function tokensOf(entries: readonly MemoryEntry[], from = 0, to = entries.length): number {
  let n = 0;
  for (let i = from; i < to; i++) n += (entries[i] as MemoryEntry).tokens;
  return n;
}
