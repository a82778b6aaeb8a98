import { DLQ_HEADERS, headers, type JetStreamManager, jetstream, type NatsConnection } from "@conclave/bus";
import type { Names } from "@conclave/subjects";

/** One dead letter: where it came from, why, and whether it was requeued. */
export interface DeadLetter {
  dlqSeq: number;
  time: string;
  stream: string;
  consumer: string;
  subject: string;
  seq: number;
  reason: string;
  /** The requeue already done for it, if any. */
  requeued?: { at: string; stream: string; seq: number } | undefined;
}

export const REQUEUED_HEADER = "Conclave-Requeued-From";

/** Requeues are recorded beside the letters, one subject per letter, so a second one is refused. */
const recordSubject = (n: Names, dlqSeq: number) => `${n.dlqSubject("requeued")}.${dlqSeq}`;

/** Reasons that no redelivery can cure: the consumers would dead-letter the same bytes again. */
const UNREADABLE = /^(body is not JSON|schema:|subject:)/;

async function letterAt(jsm: JetStreamManager, n: Names, dlqSeq: number) {
  const m = await jsm.streams.getMessage(n.stream("dlq"), { seq: dlqSeq }).catch(() => null);
  const isLetter = m?.subject.startsWith(n.dlqSubject("")) && !m.subject.startsWith(n.dlqSubject("requeued"));
  return isLetter ? m : null;
}

async function requeueRecord(jsm: JetStreamManager, n: Names, dlqSeq: number) {
  const r = await jsm.streams
    .getMessage(n.stream("dlq"), { last_by_subj: recordSubject(n, dlqSeq) })
    .catch(() => null);
  return r ? (r.json() as { at: string; stream: string; seq: number }) : undefined;
}

function describe(dlqSeq: number, m: { time: Date; header: { get(k: string): string } }) {
  return {
    dlqSeq,
    time: m.time.toISOString(),
    stream: m.header.get(DLQ_HEADERS.stream),
    consumer: m.header.get(DLQ_HEADERS.consumer),
    subject: m.header.get(DLQ_HEADERS.subject),
    seq: Number(m.header.get(DLQ_HEADERS.seq)),
    reason: m.header.get(DLQ_HEADERS.reason),
  };
}

/** The newest dead letters first, at most `limit`, of one source stream (`conv`, `work`) or all. */
export async function listDeadLetters(
  jsm: JetStreamManager,
  n: Names,
  o: { stream?: "conv" | "work" | undefined; limit?: number | undefined } = {},
): Promise<DeadLetter[]> {
  const limit = o.limit ?? 50;
  const info = await jsm.streams.info(n.stream("dlq"));
  const out: DeadLetter[] = [];
  const only = o.stream ? n.stream(o.stream) : undefined;
  for (let seq = info.state.last_seq; seq >= info.state.first_seq && out.length < limit; seq--) {
    const m = await letterAt(jsm, n, seq);
    if (!m) continue;
    const letter = describe(seq, m);
    if (only && letter.stream !== only) continue;
    out.push({ ...letter, requeued: await requeueRecord(jsm, n, seq) });
  }
  return out;
}

/** One letter with every header and its body as stored. */
export async function showDeadLetter(jsm: JetStreamManager, n: Names, dlqSeq: number) {
  const m = await letterAt(jsm, n, dlqSeq);
  if (!m) throw new Error(`no dead letter at seq ${dlqSeq}`);
  const all: Record<string, string> = {};
  for (const [k, v] of m.header) all[k] = v.join(", ");
  return {
    ...describe(dlqSeq, m),
    requeued: await requeueRecord(jsm, n, dlqSeq),
    headers: all,
    body: m.string(),
  };
}

/**
 * Re-publishes a letter's original bytes on its original subject, and records it. On the work
 * stream only the failed pool's consumer gets it again. On the conv stream every consumer sees it
 * again at a new seq (they skip an event id they already applied) and the group's feeds show it
 * again. Refused: a body no consumer can read, a source outside this deployment, a second requeue.
 */
export async function requeueDeadLetter(
  nc: NatsConnection,
  jsm: JetStreamManager,
  n: Names,
  dlqSeq: number,
  o: { force?: boolean } = {},
): Promise<{ stream: string; seq: number; subject: string }> {
  const m = await letterAt(jsm, n, dlqSeq);
  if (!m) throw new Error(`no dead letter at seq ${dlqSeq}`);
  const letter = describe(dlqSeq, m);
  const done = await requeueRecord(jsm, n, dlqSeq);
  if (done && !o.force)
    throw new Error(
      `dead letter ${dlqSeq} was requeued at ${done.at} (${done.stream} seq ${done.seq}); --force requeues it again`,
    );
  if (UNREADABLE.test(letter.reason))
    throw new Error(
      `dead letter ${dlqSeq} cannot be requeued: ${letter.reason.split(":")[0]} — every consumer would dead-letter the same bytes again`,
    );
  const targets = [n.stream("conv"), n.stream("work")];
  const prefix = letter.stream === n.stream("conv") ? `${n.ns}.conv.` : `${n.ns}.work.`;
  if (!targets.includes(letter.stream) || !letter.subject.startsWith(prefix))
    throw new Error(
      `dead letter ${dlqSeq} came from ${letter.stream} (${letter.subject}), not this deployment's streams`,
    );
  const h = headers();
  const type = m.header.get("Conclave-Type");
  if (type) h.set("Conclave-Type", type);
  h.set(REQUEUED_HEADER, String(dlqSeq));
  const js = jetstream(nc);
  // Its own id: under the original event id the stream would drop it as a duplicate within its window.
  const ack = await js.publish(letter.subject, m.data, {
    headers: h,
    msgID: `requeue:${dlqSeq}${o.force && done ? `:${Date.now()}` : ""}`,
  });
  if (ack.duplicate && !o.force) throw new Error(`dead letter ${dlqSeq} was just requeued by someone else`);
  const record = { at: new Date().toISOString(), stream: ack.stream, seq: ack.seq, subject: letter.subject };
  await js.publish(recordSubject(n, dlqSeq), JSON.stringify(record));
  return { stream: ack.stream, seq: ack.seq, subject: letter.subject };
}

/** `dlq list` as text: one line per letter. */
export function formatList(letters: DeadLetter[]): string {
  if (letters.length === 0) return "no dead letters\n";
  return `${letters
    .map((l) =>
      [
        l.dlqSeq,
        l.time,
        `${l.stream}/${l.consumer}`,
        l.subject,
        `seq ${l.seq}`,
        l.requeued ? `[requeued as ${l.requeued.stream} seq ${l.requeued.seq}]` : "",
        l.reason,
      ]
        .filter(Boolean)
        .join("  "),
    )
    .join("\n")}\n`;
}
