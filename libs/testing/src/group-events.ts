import { jetstream, jetstreamManager } from "@conclave/bus";
import type { AnyEnvelope } from "@conclave/subjects";
import type { TestBus } from "./namespace.js";

/** Every event of one group in the conversation stream, in stream order (with its seq). */
export async function readGroupEvents(
  bus: TestBus,
  groupId: string,
): Promise<(AnyEnvelope & { seq: number })[]> {
  const stream = bus.names.stream("conv");
  const filter = bus.names.groupFilter(groupId);
  const info = await (await jetstreamManager(bus.nc)).streams.info(stream, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((n, c) => n + c, 0);
  if (total === 0) return [];
  const consumer = await jetstream(bus.nc).consumers.get(stream, { filter_subjects: filter });
  const events: (AnyEnvelope & { seq: number })[] = [];
  try {
    while (events.length < total) {
      const m = await consumer.next({ expires: 5_000 });
      if (!m) throw new Error(`read ${events.length} of the ${total} events of group ${groupId}`);
      events.push({ ...m.json<AnyEnvelope>(), seq: m.seq });
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return events;
}
