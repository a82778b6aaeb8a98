import type { NatsConnection } from "@conclave/bus";
import type { Names, TokenDelta } from "@conclave/subjects";

/** Sends token deltas to live subscribers (core NATS: fire and forget, never persisted). */
export interface DeltaPublisher {
  publish(delta: TokenDelta): void;
  /** Sends what is held now: a call's last deltas go out before its outcome is published. */
  flush(): void;
}

/**
 * Holds the deltas of one turn of the event loop and publishes them together after its I/O: the
 * NATS client writes its buffer once per task, so a thousand streaming calls each sending a delta
 * per chunk cost one socket write per loop turn instead of one per delta. Order is kept: one queue,
 * published in arrival order, and each call's deltas are sent before its outcome.
 */
export function createDeltaPublisher(nc: Pick<NatsConnection, "publish">, names: Names): DeltaPublisher {
  let held: TokenDelta[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (held.length === 0) return;
    const out = held;
    held = [];
    for (const d of out) nc.publish(names.deltaSubject(d.groupId), JSON.stringify(d));
  };
  return {
    publish(delta) {
      held.push(delta);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
