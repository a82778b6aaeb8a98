import { traced } from "@conclave/bus";
import type { AnyEnvelope } from "@conclave/subjects";
import { currentTraceId, traceIdOf } from "@conclave/telemetry";
import type { GroupState } from "./state.js";

/**
 * Gives each decided event its trace context. A turn's events belong to the trace of its message's
 * post, even when another trace decided them (a queued turn started by the previous turn's end, a
 * cancel request): they carry the post's context then. Anything else carries the active span's.
 */
export function traceEvents(
  emit: readonly AnyEnvelope[],
  turns: readonly (GroupState["active"] | undefined)[],
): AnyEnvelope[] {
  const current = currentTraceId();
  const foreign = new Map<string, string>();
  for (const t of turns) {
    if (t?.traceparent && traceIdOf(t.traceparent) !== current) foreign.set(t.turnId, t.traceparent);
  }
  return emit.map((e) => {
    if (e.traceparent) return e;
    const own = e.turnId ? foreign.get(e.turnId) : undefined;
    return own ? { ...e, traceparent: own } : traced(e);
  });
}
