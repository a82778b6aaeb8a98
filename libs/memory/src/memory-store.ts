import { isRevisionConflict, type JetStreamClient, type KV, publishEnvelope } from "@conclave/bus";
import { AppError } from "@conclave/errors";
import { type AnyEnvelope, emptyMemory, MemoryRecord, type Names, parseEnvelope } from "@conclave/subjects";

const MAX_ATTEMPTS = 16;
/** Groups whose last stored record this process keeps (for changing it without reading it first). */
const KNOWN_RECORDS = 1_024;

/** A change to a group's memory, and the events it decided (published after it is stored). */
export interface MemoryDecision {
  record: MemoryRecord;
  emit: AnyEnvelope[];
}

export interface MemoryStore {
  /** The group's memory as stored (an empty one for a group that has none yet). */
  read(groupId: string): Promise<MemoryRecord>;
  /**
   * Runs `decide` on the group's memory and stores the result by compare-and-set, retrying on a
   * concurrent change; its events go through the record's outbox (stored, published, cleared), so a
   * crash anywhere re-publishes (deterministic ids), never loses. Resolves to the record stored, or
   * to the current one when `decide` returned null.
   */
  transact(
    groupId: string,
    decide: (record: MemoryRecord) => MemoryDecision | null,
  ): Promise<{ record: MemoryRecord; changed: boolean }>;
  /** Deletes the group's memory (its group is gone); a later write starts from an empty record. */
  forget(groupId: string): Promise<void>;
}

/** The memory store on the `memory` KV bucket (key = group id), shared by the orchestrator, edge and executor. */
export function createMemoryStore(deps: { kv: KV; js: JetStreamClient; names: Names }): MemoryStore {
  const { kv, js, names } = deps;

  const load = async (groupId: string): Promise<{ record: MemoryRecord; rev: number }> => {
    const entry = await kv.get(groupId);
    if (entry?.operation !== "PUT") return { record: emptyMemory(groupId), rev: entry?.revision ?? 0 };
    return { record: MemoryRecord.parse(entry.json()), rev: entry.revision };
  };

  const cas = async (record: MemoryRecord, rev: number, existed: boolean): Promise<number | null> => {
    const data = JSON.stringify(record);
    try {
      return existed ? await kv.update(record.groupId, data, rev) : await kv.create(record.groupId, data);
    } catch (e) {
      if (isRevisionConflict(e)) return null;
      throw new AppError("unavailable", "memory could not be stored", { cause: e });
    }
  };

  // A stored outbox comes back from KV as JSON: it is read against the catalog again.
  const publishStored = async (outbox: unknown[]) => {
    const envelopes = outbox.map((raw) => {
      const parsed = parseEnvelope(raw);
      if (!parsed.ok) throw new AppError("internal", `memory outbox holds an invalid envelope`);
      return parsed.envelope;
    });
    await publishAll(envelopes);
  };
  // Sent in call order on one connection, so JetStream stores them in order; acks are awaited together.
  const publishAll = async (envelopes: readonly AnyEnvelope[]) => {
    await Promise.all(envelopes.map((e) => publishEnvelope(js, names, e)));
  };

  // The record this process stored last, per group: the next change decides on it and lets the
  // compare-and-set say whether another writer changed it meanwhile (no read when not). Reads
  // (`read`) always go to the bucket: the edge and the executor change records too.
  const known = new Map<string, { record: MemoryRecord; rev: number }>();
  const keep = (record: MemoryRecord, rev: number) => {
    known.delete(record.groupId);
    known.set(record.groupId, { record, rev });
    if (known.size > KNOWN_RECORDS) known.delete(known.keys().next().value as string);
  };

  return {
    read: async (groupId) => (await load(groupId)).record,
    async transact(groupId, decide) {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const cached = attempt === 1 ? known.get(groupId) : undefined;
        known.delete(groupId);
        let { record, rev } = cached ?? (await load(groupId));
        let existed = rev > 0;
        if (record.outbox.length > 0) {
          await publishStored(record.outbox);
          record = { ...record, outbox: [] };
          const r = await cas(record, rev, existed);
          if (r === null) continue;
          rev = r;
          existed = true;
        }
        const decision = decide(record);
        // "Nothing to change" on a record this process knew may be stale: a fresh read says.
        if (!decision && cached) continue;
        if (!decision) return { record, changed: false };
        const stored = await cas({ ...decision.record, outbox: decision.emit }, rev, existed);
        if (stored === null) continue;
        if (decision.emit.length === 0) {
          keep(decision.record, stored);
          return { record: decision.record, changed: true };
        }
        await publishAll(decision.emit);
        // Losing this race is fine: whoever changed the record flushed the same outbox first.
        const cleared = { ...decision.record, outbox: [] };
        const last = await cas(cleared, stored, true);
        if (last !== null) keep(cleared, last);
        return { record: decision.record, changed: true };
      }
      throw new AppError("unavailable", `memory of group ${groupId} kept changing; try again`);
    },
    async forget(groupId) {
      known.delete(groupId);
      try {
        await kv.delete(groupId);
      } catch (e) {
        throw new AppError("unavailable", "memory could not be deleted", { cause: e });
      }
    },
  };
}
