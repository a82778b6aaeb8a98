const followers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Runs `onAbort` when `signal` aborts, until the returned function is called. One listener per
 * signal and a set of followers: an EventTarget checks each new listener against all it has, so a
 * thousand calls or waiters on one shutdown signal made every add and remove a walk of a thousand.
 */
export function followAbort(signal: AbortSignal, onAbort: () => void): () => void {
  let set = followers.get(signal);
  if (!set) {
    const all = new Set<() => void>();
    set = all;
    followers.set(signal, all);
    signal.addEventListener(
      "abort",
      () => {
        for (const f of [...all]) f();
        all.clear();
      },
      { once: true },
    );
  }
  const own = set;
  own.add(onAbort);
  return () => {
    own.delete(onAbort);
  };
}
