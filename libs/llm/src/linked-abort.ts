/** A signal that aborts on its own, after a time, or when its parent does; `dispose` ends all three. */
export interface LinkedAbort {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  /** Stops following the parent and clears the timer: call it when the work is over. */
  dispose(): void;
}

/**
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])` without their cost: in Node 20 each keeps
 * weak references and a finalizer per call on the long-lived parent (the process's shutdown
 * signal), which a thousand calls in flight turn into a good part of the garbage collector's work.
 * Here it is one timer and an entry in the parent's set, both removed when the call is over.
 */
export function linkedAbort(o: {
  parent?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  timeoutReason?: () => unknown;
}): LinkedAbort {
  const controller = new AbortController();
  const { parent } = o;
  let unfollow: (() => void) | undefined;
  if (parent?.aborted) controller.abort(parent.reason);
  else if (parent) unfollow = follow(parent, () => controller.abort(parent.reason));
  const timer =
    o.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              o.timeoutReason?.() ??
                new DOMException("The operation was aborted due to timeout", "TimeoutError"),
            ),
          o.timeoutMs,
        );
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose() {
      clearTimeout(timer);
      unfollow?.();
    },
  };
}

const followers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Runs `onAbort` when `parent` aborts, until the returned function is called. One listener per
 * parent and a set of followers: an EventTarget checks each new listener against all it has, which
 * with a thousand calls on one shutdown signal made every add and remove a walk of a thousand.
 */
function follow(parent: AbortSignal, onAbort: () => void): () => void {
  let set = followers.get(parent);
  if (!set) {
    const all = new Set<() => void>();
    set = all;
    followers.set(parent, all);
    parent.addEventListener(
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
  return () => own.delete(onAbort);
}
