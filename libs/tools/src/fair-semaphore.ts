import { AppError, followAbort } from "@conclave/errors";

/**
 * At most `slots` holders at once, and at most `perKey` of them with one key (an account), so one
 * key can never take every slot. A freed slot goes to the waiting key that holds the fewest.
 */
export interface FairSemaphore {
  /** Waits for a slot for `key` (or rejects with the signal's reason); the returned function frees it. */
  acquire(key: string, signal: AbortSignal): Promise<() => void>;
  /** What `key` holds plus what it waits for. */
  load(key: string): number;
  /** The most one key may hold at once. */
  readonly perKey: number;
}

/** One key's share of `slots`: at least one slot, at most all of them. */
export function fairShareOf(slots: number, share: number): number {
  return Math.min(slots, Math.max(1, Math.floor(slots * share)));
}

interface Waiter {
  order: number;
  grant: () => void;
}

export function createFairSemaphore(o: { slots: number; perKey: number }): FairSemaphore {
  if (!(o.slots >= 1)) throw new Error("a semaphore needs at least one slot");
  const perKey = Math.min(o.slots, Math.max(1, Math.floor(o.perKey)));
  let free = o.slots;
  let order = 0;
  const held = new Map<string, number>();
  const waiting = new Map<string, Waiter[]>();

  const take = (key: string) => {
    free--;
    held.set(key, (held.get(key) ?? 0) + 1);
  };
  // The eligible key holding the fewest slots; among equals, the one waiting longest.
  const next = (): string | undefined => {
    let best: { key: string; held: number; order: number } | undefined;
    for (const [key, list] of waiting) {
      const h = held.get(key) ?? 0;
      const first = list[0];
      if (!first || h >= perKey) continue;
      if (!best || h < best.held || (h === best.held && first.order < best.order))
        best = { key, held: h, order: first.order };
    }
    return best?.key;
  };
  const pump = () => {
    while (free > 0) {
      const key = next();
      if (key === undefined) return;
      const list = waiting.get(key) as Waiter[];
      const w = list.shift() as Waiter;
      if (list.length === 0) waiting.delete(key);
      take(key);
      w.grant();
    }
  };
  const releaser = (key: string) => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      free++;
      const h = (held.get(key) ?? 1) - 1;
      if (h > 0) held.set(key, h);
      else held.delete(key);
      pump();
    };
  };

  return {
    perKey,
    load: (key) => (held.get(key) ?? 0) + (waiting.get(key)?.length ?? 0),
    acquire: (key, signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return reject(reason(signal));
        if (free > 0 && (held.get(key) ?? 0) < perKey && !waiting.has(key)) {
          take(key);
          return resolve(releaser(key));
        }
        let unwatch = () => {};
        const w: Waiter = {
          order: order++,
          grant: () => {
            unwatch();
            resolve(releaser(key));
          },
        };
        const onAbort = () => {
          const list = waiting.get(key);
          const i = list?.indexOf(w) ?? -1;
          if (list && i >= 0) {
            list.splice(i, 1);
            if (list.length === 0) waiting.delete(key);
          }
          reject(reason(signal));
        };
        const list = waiting.get(key);
        if (list) list.push(w);
        else waiting.set(key, [w]);
        unwatch = followAbort(signal, onAbort);
      }),
  };
}

function reason(signal: AbortSignal): unknown {
  return signal.reason instanceof AppError
    ? signal.reason
    : new AppError("unavailable", "cancelled while waiting");
}
