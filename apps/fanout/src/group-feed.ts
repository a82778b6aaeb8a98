import { type ConsumerMessages, DeliverPolicy, type JetStreamClient } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import { type AnyEnvelope, type Names, parseEnvelope } from "@conclave/subjects";

/** One group's persisted events, in stream order, as an ordered JetStream consumer. */
export interface GroupFeed {
  /** Each valid event with its stream seq; an invalid one is logged and skipped. */
  events(): AsyncIterable<{ seq: number; event: AnyEnvelope }>;
  close(): void;
}

/**
 * Follows a group from just after `afterSeq` (the last seq a client saw), or from now when absent.
 * The consumer pulls at most 256 messages ahead, so a slow reader slows the feed, not memory.
 */
export async function openGroupFeed(
  js: JetStreamClient,
  names: Names,
  groupId: string,
  afterSeq: number | undefined,
  log: Logger,
): Promise<GroupFeed> {
  const filter = { filter_subjects: names.groupFilter(groupId) };
  const opts =
    afterSeq === undefined
      ? { ...filter, deliver_policy: DeliverPolicy.New }
      : { ...filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 };
  const consumer = await js.consumers.get(names.stream("conv"), opts);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 256 });
  return {
    async *events() {
      for await (const m of messages) {
        const parsed = parseEnvelope(m.json());
        if (!parsed.ok) {
          log.error({ seq: m.seq, issues: parsed.issues }, "invalid event in stream; not relayed");
          continue;
        }
        yield { seq: m.seq, event: parsed.envelope };
      }
    },
    close: () => void messages.close(),
  };
}
