/** A bound on the requests waiting at once; a wait over it is not refused, it just does not wait. */
export interface WaitSlots {
  /** A slot and its release (idempotent), or undefined when every slot is taken. */
  take(): (() => void) | undefined;
  readonly inUse: number;
}

export function createWaitSlots(max: number): WaitSlots {
  let inUse = 0;
  return {
    take() {
      if (inUse >= max) return undefined;
      inUse++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inUse--;
      };
    },
    get inUse() {
      return inUse;
    },
  };
}
