import { AppError } from "@conclave/errors";
import { type AnyEnvelope, isConvEvent, type Names } from "@conclave/subjects";
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

/**
 * Publishes an envelope and waits for JetStream's ack. The envelope id is the `Nats-Msg-Id`, so a
 * re-publish of the same event is deduplicated. A connection or timeout failure is `unavailable`.
 */
export async function publishEnvelope(
  js: JetStreamClient,
  n: Names,
  e: AnyEnvelope,
  options: { traceparent?: string; timeoutMs?: number } = {},
): Promise<Published> {
  const h = headers();
  if (options.traceparent) h.set("traceparent", options.traceparent);
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
