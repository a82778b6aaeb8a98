import { AppError } from "@conclave/errors";
import { type AnyEnvelope, isConvEvent, type Names } from "@conclave/subjects";
import { currentTraceparent } from "@conclave/telemetry";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";

/** The subject an envelope is published on: conversation events per group, work items on their own. */
export function subjectOf(n: Names, e: AnyEnvelope): string {
  if (isConvEvent(e)) return n.convSubject(e.groupId, e.type);
  switch (e.type) {
    case "work.llm":
      return n.workSubject("llm");
    case "work.timer":
      return n.workSubject("timer");
    case "work.tool":
      return n.workSubject("tool");
  }
}

export interface Published {
  seq: number;
  /** True when JetStream had the id already (a re-publish); nothing new was stored. */
  duplicate: boolean;
  stream: string;
}

/** The envelope with the trace context it is decided in: its own, else the active span's. */
export function traced<E extends AnyEnvelope>(e: E): E {
  if (e.traceparent) return e;
  const traceparent = currentTraceparent();
  return traceparent ? { ...e, traceparent } : e;
}

/**
 * Publishes an envelope and waits for JetStream's ack. The envelope id is the `Nats-Msg-Id`, so a
 * re-publish of the same event is deduplicated. A connection or timeout failure is `unavailable`.
 * An envelope without a trace context gets the active span's, in its body and its `traceparent`
 * header.
 */
export async function publishEnvelope(
  js: JetStreamClient,
  n: Names,
  envelope: AnyEnvelope,
  options: { timeoutMs?: number } = {},
): Promise<Published> {
  const e = traced(envelope);
  const h = headers();
  if (e.traceparent) h.set("traceparent", e.traceparent);
  h.set("Conclave-Type", e.type);
  let ack: PubAck;
  try {
    ack = await js.publish(subjectOf(n, e), JSON.stringify(e), {
      msgID: e.id,
      headers: h,
      timeout: options.timeoutMs ?? 5000,
    });
  } catch (cause) {
    throw new AppError("unavailable", `event bus did not acknowledge ${e.type}`, { cause });
  }
  return { seq: ack.seq, duplicate: ack.duplicate, stream: ack.stream };
}
