/** An agent as the routing rules see it: an id and a display name, listed in seat order. */
export interface RosterAgent {
  readonly id: string;
  readonly name: string;
}

/** The agent seated after `lastId` (wrapping around), or the first seat when `lastId` is absent or unknown. */
export function nextInSeatOrder(roster: readonly RosterAgent[], lastId: string | null): RosterAgent | null {
  if (roster.length === 0) return null;
  const at = lastId === null ? -1 : roster.findIndex((a) => a.id === lastId);
  return roster[(at + 1) % roster.length] ?? null;
}

/** How many times the last speaker of `history` spoke in a row at its end (0 for an empty history). */
export function trailingRun(history: readonly string[]): number {
  const last = history.at(-1);
  let run = 0;
  for (let i = history.length - 1; i >= 0 && history[i] === last; i--) run++;
  return run;
}
