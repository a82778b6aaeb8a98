import type { HandlerResult, MessageMeta } from "@conclave/bus";
import { createFairSemaphore, fairShareOf } from "@conclave/tools";

export interface FairAdmissionOptions {
  /** Work items run at once by this process. */
  slots: number;
  /** The fraction of those one account may run at once (at least one slot). */
  share: number;
  /**
   * Up to this delivery an item of an account over its share is handed back to the queue; later
   * it waits here instead, so deferring can never use up the consumer's max_deliver.
   */
  deferUntilDelivery: number;
}

type Handler<E> = (e: E, meta: MessageMeta) => Promise<HandlerResult>;

/**
 * Per-account fair share of one executor's slots. The work queue is one FIFO shared by every
 * account, so a flood from one account would otherwise hold every slot of every replica: here an
 * account runs at most its share, waits for at most as many more (kept alive by the consumer), and
 * the rest of its items go back to the queue for a while so other accounts' items can be pulled.
 * Every replica applies the same share, so an account holds at most that fraction of the pool.
 */
export interface FairAdmission {
  /** How many items the consumer should hold at once: the slots plus room for waiting items. */
  readonly window: number;
  /** The most one account runs at once. */
  readonly perAccount: number;
  admit<E>(accountOf: (e: NoInfer<E>) => string, run: Handler<E>): Handler<E>;
}

export function createFairAdmission(o: FairAdmissionOptions): FairAdmission {
  const perAccount = fairShareOf(o.slots, o.share);
  const gate = createFairSemaphore({ slots: o.slots, perKey: perAccount });
  const holdPerAccount = Math.min(o.slots, 2 * perAccount);
  // Stream seq → times this process handed the item back; another replica's deferrals are unknown here.
  const deferred = new Map<number, number>();
  return {
    window: 2 * o.slots,
    perAccount,
    admit: (accountOf, run) => async (e, meta) => {
      const account = accountOf(e);
      if (gate.load(account) >= holdPerAccount && meta.deliveryCount <= o.deferUntilDelivery) {
        deferred.set(meta.seq, (deferred.get(meta.seq) ?? 0) + 1);
        if (deferred.size > MAX_REMEMBERED) deferred.delete(deferred.keys().next().value as number);
        return { retryInMs: deferDelayMs(meta.deliveryCount) };
      }
      const handedBack = deferred.get(meta.seq) ?? 0;
      deferred.delete(meta.seq);
      const release = await gate.acquire(account, meta.signal);
      try {
        // A deferral is not a failed attempt: the handler's retry budget (attempts) leaves them out.
        return await run(e, { ...meta, deliveryCount: Math.max(1, meta.deliveryCount - handedBack) });
      } finally {
        release();
      }
    },
  };
}

const MAX_REMEMBERED = 10_000;

/** Grows with each deferral (0.5 s, 1 s, 2 s … at most 10 s), with jitter so deferred items spread out. */
export function deferDelayMs(deliveryCount: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.max(0, deliveryCount - 1));
  return Math.round(base * (0.5 + random() * 0.5));
}
