import { AppError } from "@conclave/errors";

/** At most `n` holders at once; the others wait in order. */
export interface Semaphore {
  /** Waits for a slot (or rejects with the signal's reason); the returned function frees it. */
  acquire(signal: AbortSignal): Promise<() => void>;
}

/** A counting semaphore for expensive work such as sandbox threads. */
export function createSemaphore(n: number): Semaphore {
  if (!(n >= 1)) throw new Error("a semaphore needs at least one slot");
  let free = n;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  const once = () => {
    let done = false;
    return () => {
      if (!done) {
        done = true;
        release();
      }
    };
  };
  return {
    acquire: (signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return reject(reason(signal));
        if (free > 0) {
          free--;
          return resolve(once());
        }
        const grant = () => {
          signal.removeEventListener("abort", onAbort);
          resolve(once());
        };
        const onAbort = () => {
          const i = waiting.indexOf(grant);
          if (i >= 0) waiting.splice(i, 1);
          reject(reason(signal));
        };
        waiting.push(grant);
        signal.addEventListener("abort", onAbort, { once: true });
      }),
  };
}

function reason(signal: AbortSignal): unknown {
  return signal.reason instanceof AppError
    ? signal.reason
    : new AppError("unavailable", "cancelled while waiting");
}
