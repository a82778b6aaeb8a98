import { isRevisionConflict, type KV } from "@conclave/bus";
import { AppError } from "@conclave/errors";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  copyCheckpoint,
  getCheckpointId,
  type PendingWrite,
  WRITES_IDX_MAP,
} from "@langchain/langgraph-checkpoint";

/** A serialized value: the serializer's type tag and its bytes, base64. */
type Blob = [type: string, data: string];

interface StoredCheckpoint {
  checkpoint: Blob;
  metadata: Blob;
  parent?: string;
}

/** Pending writes of one checkpoint, keyed `<taskId>,<index>` (a negative index is a special channel). */
interface StoredWrites {
  writes: Record<string, [taskId: string, channel: string, value: Blob]>;
}

const MAX_ATTEMPTS = 8;
/** Documents this process wrote, kept to be read back without a round trip (a turn's steps mostly run where it started). */
const OWN_CACHED = 2048;
// KV keys are NATS subject tokens: ids must not contain separators or wildcards.
const SAFE = /^[A-Za-z0-9_=-]+$/;

/**
 * LangGraph checkpoints in a JetStream KV bucket, so a turn another replica started can go on
 * anywhere. Keys per thread (a turn): `<thread>.c.<checkpointId>` holds a checkpoint, its metadata
 * and its parent; `<thread>.w.<checkpointId>` holds that checkpoint's pending writes, changed by
 * compare-and-set. Only the root namespace is used (the strategies have no subgraphs).
 *
 * `lastPut(thread)` is the newest checkpoint this process stored for a thread: the orchestrator pins
 * it in its group state in the same compare-and-set as the events it decided, so a losing replica's
 * checkpoints are never resumed (they are purged with the thread). While a step runs, `pin(thread,
 * id)` names the thread's head: "the latest checkpoint" is then the pinned one (null: a new
 * thread), so a step reads two keys instead of listing the thread, and never sees an orphan.
 *
 * What this process stored last is read back from memory: a checkpoint never changes once put (its
 * id is new), and its pending writes are written by the step that creates it, before the checkpoint
 * itself. A step reads its own new checkpoint back as it ends, and the turn's next step usually runs
 * here: without the cache that is four KV reads per step.
 */
export class KvCheckpointSaver extends BaseCheckpointSaver {
  private readonly puts = new Map<string, string>();
  private readonly heads = new Map<string, string | null>();
  private readonly read = new Map<string, CheckpointTuple>();
  /** Keys this process put (`<thread>.c.<id>`, `<thread>.w.<id>`) → the document as stored, newest last. */
  private readonly own = new Map<string, string>();

  /** `purgeThread` purges a thread's keys in one request (a stream purge by subject); else key by key. */
  constructor(
    private readonly kv: KV,
    private readonly purgeThread?: (thread: string) => Promise<void>,
  ) {
    super();
  }

  /** The id of the newest checkpoint this process put for `thread` since `forget(thread)`. */
  lastPut(thread: string): string | undefined {
    return this.puts.get(thread);
  }

  /** Names the thread's head for the step about to run (null: the thread is new). */
  pin(thread: string, checkpointId: string | null): void {
    this.heads.set(thread, checkpointId);
  }

  /** Ends a step: forgets its pin, its last put and what it read. */
  forget(thread: string): void {
    this.puts.delete(thread);
    this.heads.delete(thread);
    for (const key of this.read.keys()) if (key.startsWith(`${thread}.`)) this.read.delete(key);
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const thread = threadOf(config);
    const pinned = this.heads.get(thread);
    const id = getCheckpointId(config) || (pinned !== undefined ? pinned : (await this.ids(thread)).at(-1));
    if (!id) return undefined;
    const key = `${thread}.${safe(id, "checkpoint_id")}`;
    const cached = this.read.get(key);
    if (cached) return cached;
    const t = await this.tuple(thread, id);
    // Within a step the same checkpoint is read twice (as given and as the head); it does not change meanwhile.
    if (t && this.heads.has(thread)) this.read.set(key, t);
    return t;
  }

  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const thread = threadOf(config);
    const only = getCheckpointId(config);
    const before = options?.before?.configurable?.checkpoint_id as string | undefined;
    let left = options?.limit ?? Number.POSITIVE_INFINITY;
    for (const id of (await this.ids(thread)).reverse()) {
      if (left <= 0) return;
      if ((only && id !== only) || (before && id >= before)) continue;
      const t = await this.tuple(thread, id);
      if (!t) continue;
      const filter = options?.filter;
      const meta = (t.metadata ?? {}) as Record<string, unknown>;
      if (filter && !Object.entries(filter).every(([k, v]) => meta[k] === v)) continue;
      left--;
      yield t;
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    _newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const thread = threadOf(config);
    const id = safe(checkpoint.id, "checkpoint id");
    const parent = config.configurable?.checkpoint_id as string | undefined;
    const stored: StoredCheckpoint = {
      checkpoint: await this.dump(copyCheckpoint(checkpoint)),
      metadata: await this.dump(metadata),
      ...(parent ? { parent } : {}),
    };
    const doc = JSON.stringify(stored);
    await this.kv.put(`${thread}.c.${id}`, doc);
    this.keep(`${thread}.c.${id}`, doc);
    this.puts.set(thread, id);
    if (this.heads.has(thread)) this.heads.set(thread, id);
    return { configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    const thread = threadOf(config);
    const id = config.configurable?.checkpoint_id as string | undefined;
    if (!id) throw new AppError("internal", "putWrites without a checkpoint_id");
    const key = `${thread}.w.${safe(id, "checkpoint_id")}`;
    const dumped = await Promise.all(
      writes.map(async ([channel, value], i) => {
        const index = (WRITES_IDX_MAP as Record<string, number>)[channel] ?? i;
        return {
          inner: `${taskId},${index}`,
          index,
          entry: [taskId, channel, await this.dump(value)] as const,
        };
      }),
    );
    // Usually the first writes of a checkpoint just put: try to create the document before reading it.
    const fresh: StoredWrites = { writes: {} };
    for (const { inner, entry } of dumped) fresh.writes[inner] ??= [entry[0], entry[1], entry[2]];
    try {
      const doc = JSON.stringify(fresh);
      await this.kv.create(key, doc);
      this.keep(key, doc);
      return;
    } catch (e) {
      if (!isRevisionConflict(e)) throw e;
    }
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.kv.get(key);
      const doc: StoredWrites =
        current?.operation === "PUT" ? (current.json() as StoredWrites) : { writes: {} };
      for (const { inner, index, entry } of dumped) {
        // Ordinary writes are kept as first written; special channels (errors, interrupts, resumes) are replaced.
        if (index >= 0 && inner in doc.writes) continue;
        doc.writes[inner] = [entry[0], entry[1], entry[2]];
      }
      try {
        const text = JSON.stringify(doc);
        if (current?.operation === "PUT") await this.kv.update(key, text, current.revision);
        else await this.kv.create(key, text);
        this.keep(key, text);
        return;
      } catch (e) {
        if (!isRevisionConflict(e)) throw e;
      }
    }
    throw new AppError("unavailable", `checkpoint writes of ${thread} kept changing`);
  }

  /** Deletes every checkpoint of a thread (the turn ended): purged from the stream, not just marked. */
  async deleteThread(threadId: string): Promise<void> {
    const thread = safe(threadId, "thread_id");
    this.forget(thread);
    for (const key of this.own.keys()) if (key.startsWith(`${thread}.`)) this.own.delete(key);
    if (this.purgeThread) return this.purgeThread(thread);
    const keys = await this.keys(`${thread}.>`);
    await Promise.all(keys.map((k) => this.kv.purge(k)));
  }

  private keep(key: string, doc: string) {
    this.own.delete(key);
    this.own.set(key, doc);
    if (this.own.size > OWN_CACHED) this.own.delete(this.own.keys().next().value as string);
  }

  /** A checkpoint and its pending writes as stored: from memory when this process put the checkpoint. */
  private async stored(
    thread: string,
    id: string,
  ): Promise<{ stored: StoredCheckpoint; writes: StoredWrites["writes"] } | undefined> {
    const ownCheckpoint = this.own.get(`${thread}.c.${id}`);
    if (ownCheckpoint !== undefined) {
      // Written here before the checkpoint, or not at all.
      const ownWrites = this.own.get(`${thread}.w.${id}`);
      return {
        stored: JSON.parse(ownCheckpoint) as StoredCheckpoint,
        writes: ownWrites === undefined ? {} : (JSON.parse(ownWrites) as StoredWrites).writes,
      };
    }
    const [entry, writesEntry] = await Promise.all([
      this.kv.get(`${thread}.c.${id}`),
      this.kv.get(`${thread}.w.${id}`),
    ]);
    if (entry?.operation !== "PUT") return undefined;
    return {
      stored: entry.json() as StoredCheckpoint,
      writes: writesEntry?.operation === "PUT" ? (writesEntry.json() as StoredWrites).writes : {},
    };
  }

  private async tuple(thread: string, id: string): Promise<CheckpointTuple | undefined> {
    const found = await this.stored(thread, id);
    if (!found) return undefined;
    const { stored, writes } = found;
    const pendingWrites: CheckpointPendingWrite[] = await Promise.all(
      Object.values(writes).map(
        async ([taskId, channel, value]) =>
          [taskId, channel, await this.load(value)] as CheckpointPendingWrite,
      ),
    );
    return {
      config: { configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: id } },
      checkpoint: (await this.load(stored.checkpoint)) as Checkpoint,
      metadata: (await this.load(stored.metadata)) as CheckpointMetadata,
      pendingWrites,
      ...(stored.parent
        ? {
            parentConfig: {
              configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: stored.parent },
            },
          }
        : {}),
    };
  }

  /** The thread's checkpoint ids, oldest first (uuid6 ids sort by time). */
  private async ids(thread: string): Promise<string[]> {
    const prefix = `${thread}.c.`;
    return (await this.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)).sort();
  }

  private async keys(filter: string): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys(filter)) out.push(k);
    return out;
  }

  private async dump(value: unknown): Promise<Blob> {
    const [type, bytes] = await this.serde.dumpsTyped(value);
    return [type, Buffer.from(bytes).toString("base64")];
  }

  private async load([type, data]: Blob): Promise<unknown> {
    return this.serde.loadsTyped(type, Buffer.from(data, "base64"));
  }
}

function threadOf(config: RunnableConfig): string {
  const ns = config.configurable?.checkpoint_ns ?? "";
  if (ns !== "")
    throw new AppError("internal", `checkpoint namespace "${ns}" is not supported (no subgraphs)`);
  return safe(config.configurable?.thread_id, "thread_id");
}

function safe(value: unknown, field: string): string {
  if (typeof value !== "string" || !SAFE.test(value)) {
    throw new AppError("internal", `${field} must be a non-empty id of letters, digits, "-", "_" or "="`);
  }
  return value;
}
