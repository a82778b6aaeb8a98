import { AppError } from "@conclave/errors";
import type { AnyEnvelope, Envelope, EventType } from "@conclave/subjects";
import type { EnvelopeHandler, HandlerResult, MessageMeta } from "./consume.js";

/** One handler per event type of `T`: leaving one out is a compile error. */
export type HandlerMap<T extends EventType> = {
  [K in T]: (e: Envelope<K>, meta: MessageMeta) => Promise<HandlerResult>;
};

/** Routes each envelope to its type's handler; a type outside the map is terminated, not retried. */
export function dispatchTo<T extends EventType>(map: HandlerMap<T>): EnvelopeHandler {
  const table = map as unknown as Partial<
    Record<EventType, (e: AnyEnvelope, meta: MessageMeta) => Promise<HandlerResult>>
  >;
  return async (e, meta) => {
    const handler = table[e.type];
    if (!handler) throw new AppError("permanent", `no handler for ${e.type} here`);
    return handler(e, meta);
  };
}
