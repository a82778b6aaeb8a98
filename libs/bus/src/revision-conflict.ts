import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";

/** Whether a KV compare-and-set failed because another writer changed the key first. */
export function isRevisionConflict(e: unknown): boolean {
  return (
    e instanceof JetStreamApiError &&
    (e.code === JetStreamApiCodes.StreamWrongLastSequence ||
      e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
