/**
 * Group commit: items handed in while a commit runs wait and go together into the next one (at most
 * `maxBatch`), so a busy recorder makes one transaction for many events instead of one each. Each
 * caller's promise settles with its own item's result, after the commit that holds it. When a
 * commit of several fails, each of its items is tried alone, so one bad item fails only itself.
 */
export function createGroupCommit<T, R>(options: {
  commit: (items: T[]) => Promise<R[]>;
  maxBatch: number;
}): (item: T) => Promise<R> {
  interface Waiting {
    item: T;
    resolve: (r: R) => void;
    reject: (e: unknown) => void;
  }
  let queue: Waiting[] = [];
  let running = false;

  const settle = async (batch: Waiting[]) => {
    try {
      const results = await options.commit(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(results[i] as R);
    } catch (error) {
      const only = batch[0];
      if (batch.length === 1 && only) {
        only.reject(error);
        return;
      }
      for (const w of batch) await settle([w]);
    }
  };

  const drain = async () => {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, options.maxBatch);
        queue = queue.slice(batch.length);
        await settle(batch);
      }
    } finally {
      running = false;
    }
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      void drain();
    });
}
