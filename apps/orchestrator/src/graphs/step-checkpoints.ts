import type { KV } from "@conclave/bus";
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
import { z } from "zod";

/** A serialized value: the serializer's type tag and its bytes (as text when they are JSON). */
const Blob = z.union([
  z.object({ t: z.string(), json: z.string() }).strict(),
  z.object({ t: z.string(), b64: z.string() }).strict(),
]);
type Blob = z.infer<typeof Blob>;

/**
 * A graph's checkpoint as the group state keeps it: the checkpoint, its metadata, and the pending
 * writes stored against it (keyed `<taskId>,<index>`; a negative index is a special channel).
 */
export const StoredCheckpoint = z.object({
  id: z.string(),
  parent: z.string().optional(),
  checkpoint: Blob,
  metadata: Blob,
  writes: z.record(z.string(), z.tuple([z.string(), z.string(), Blob])),
});
export type StoredCheckpoint = z.infer<typeof StoredCheckpoint>;

interface Step {
  /** The checkpoints of the thread this step knows: the one it resumes from and those it put. */
  checkpoints: Map<string, StoredCheckpoint>;
  head: string | null;
  /** Writes put before their checkpoint (LangGraph stores a step's interrupt, then the checkpoint). */
  early: Map<string, StoredCheckpoint["writes"]>;
  last: string | undefined;
}

/**
 * LangGraph checkpoints that live in the group state: a step begins from the checkpoint the state
 * holds (`begin`), LangGraph reads and writes it here in memory, and `end` hands back the newest
 * checkpoint for the state's compare-and-set. The checkpoint and the events it decided are then
 * stored in one write, so no replica can resume a checkpoint whose events lost the race, and a
 * step costs no checkpoint round trip at all. Only the root namespace is used (no subgraphs).
 */
export class StepCheckpointSaver extends BaseCheckpointSaver {
  private readonly steps = new Map<string, Step>();

  /** Starts a step on `thread` from `head` (null: a new thread). */
  begin(thread: string, head: StoredCheckpoint | null): void {
    // The turn store runs one transaction per group at a time: two steps of one thread never overlap.
    if (this.steps.has(thread))
      throw new AppError("internal", `a step is already running on graph thread ${thread}`);
    const checkpoints = new Map<string, StoredCheckpoint>();
    if (head) checkpoints.set(head.id, head);
    this.steps.set(thread, { checkpoints, head: head?.id ?? null, early: new Map(), last: undefined });
  }

  /** Ends the step: the newest checkpoint it put (undefined: none), and forgets the thread. */
  end(thread: string): StoredCheckpoint | undefined {
    const step = this.steps.get(thread);
    this.steps.delete(thread);
    return step?.last === undefined ? undefined : step.checkpoints.get(step.last);
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const thread = threadOf(config);
    const step = this.stepOf(thread);
    const id = getCheckpointId(config) || step.last || step.head;
    const stored = id ? step.checkpoints.get(id) : undefined;
    return stored ? this.tuple(thread, stored) : undefined;
  }

  async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const thread = threadOf(config);
    const step = this.steps.get(thread);
    if (!step) return;
    const only = getCheckpointId(config);
    const before = options?.before?.configurable?.checkpoint_id as string | undefined;
    let left = options?.limit ?? Number.POSITIVE_INFINITY;
    // uuid6 ids sort by time: newest first.
    for (const id of [...step.checkpoints.keys()].sort().reverse()) {
      if (left <= 0) return;
      if ((only && id !== only) || (before && id >= before)) continue;
      const stored = step.checkpoints.get(id);
      if (!stored) continue;
      const t = await this.tuple(thread, stored);
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
    const step = this.stepOf(thread);
    const parent = config.configurable?.checkpoint_id as string | undefined;
    const [c, m] = await Promise.all([this.dump(copyCheckpoint(checkpoint)), this.dump(metadata)]);
    const writes = step.early.get(checkpoint.id) ?? {};
    step.early.delete(checkpoint.id);
    step.checkpoints.set(checkpoint.id, {
      id: checkpoint.id,
      ...(parent ? { parent } : {}),
      checkpoint: c,
      metadata: m,
      writes,
    });
    step.last = checkpoint.id;
    return { configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    const thread = threadOf(config);
    const step = this.stepOf(thread);
    const id = config.configurable?.checkpoint_id as string | undefined;
    if (!id) throw new AppError("internal", "putWrites without a checkpoint_id");
    const target = step.checkpoints.get(id)?.writes ?? step.early.get(id) ?? {};
    if (!step.checkpoints.has(id)) step.early.set(id, target);
    await Promise.all(
      writes.map(async ([channel, value], i) => {
        const index = (WRITES_IDX_MAP as Record<string, number>)[channel] ?? i;
        const inner = `${taskId},${index}`;
        // Ordinary writes are kept as first written; special channels (errors, interrupts, resumes) are replaced.
        if (index >= 0 && inner in target) return;
        target[inner] = [taskId, channel, await this.dump(value)];
      }),
    );
  }

  async deleteThread(threadId: string): Promise<void> {
    this.steps.delete(threadId);
  }

  private stepOf(thread: string): Step {
    const step = this.steps.get(thread);
    if (!step) throw new AppError("internal", `no step running on graph thread ${thread}`);
    return step;
  }

  private async tuple(thread: string, stored: StoredCheckpoint): Promise<CheckpointTuple> {
    const [checkpoint, metadata, pendingWrites] = await Promise.all([
      this.load(stored.checkpoint),
      this.load(stored.metadata),
      Promise.all(
        Object.values(stored.writes).map(
          async ([taskId, channel, value]) =>
            [taskId, channel, await this.load(value)] as CheckpointPendingWrite,
        ),
      ),
    ]);
    const config = (id: string) => ({
      configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: id },
    });
    return {
      config: config(stored.id),
      checkpoint: checkpoint as Checkpoint,
      metadata: metadata as CheckpointMetadata,
      pendingWrites,
      ...(stored.parent ? { parentConfig: config(stored.parent) } : {}),
    };
  }

  private async dump(value: unknown): Promise<Blob> {
    const [t, bytes] = await this.serde.dumpsTyped(value);
    return t === "json"
      ? { t, json: Buffer.from(bytes).toString("utf8") }
      : { t, b64: Buffer.from(bytes).toString("base64") };
  }

  private async load(blob: Blob): Promise<unknown> {
    // The serializer's reviver rebuilds every object to find its `lc` markers (undefined, Set,
    // Map, classes): where the text has no such key, JSON.parse gives the same values (a string
    // "lc" only takes the long way).
    if ("json" in blob && blob.t === "json" && !blob.json.includes('"lc"')) return JSON.parse(blob.json);
    return this.serde.loadsTyped(blob.t, "json" in blob ? blob.json : Buffer.from(blob.b64, "base64"));
  }
}

function threadOf(config: RunnableConfig): string {
  const ns = config.configurable?.checkpoint_ns ?? "";
  if (ns !== "")
    throw new AppError("internal", `checkpoint namespace "${ns}" is not supported (no subgraphs)`);
  const thread = config.configurable?.thread_id;
  if (typeof thread !== "string" || thread === "")
    throw new AppError("internal", "a graph step without a thread");
  return thread;
}

/**
 * Reads a checkpoint the way earlier versions stored it, in the checkpoints bucket beside its
 * thread (`<thread>.c.<id>` and `<thread>.w.<id>`, each blob `[type, base64]`): a turn that was
 * running when this version was deployed resumes from there.
 */
export function bucketCheckpoints(kv: KV) {
  type OldBlob = [string, string];
  const blob = ([t, b64]: OldBlob): Blob => ({ t, b64 });
  return async (thread: string, id: string): Promise<StoredCheckpoint | undefined> => {
    const [c, w] = await Promise.all([kv.get(`${thread}.c.${id}`), kv.get(`${thread}.w.${id}`)]);
    if (c?.operation !== "PUT") return undefined;
    const doc = c.json() as { checkpoint: OldBlob; metadata: OldBlob; parent?: string };
    const writes: StoredCheckpoint["writes"] = {};
    if (w?.operation === "PUT") {
      const old = (w.json() as { writes: Record<string, [string, string, OldBlob]> }).writes;
      for (const [inner, [taskId, channel, value]] of Object.entries(old))
        writes[inner] = [taskId, channel, blob(value)];
    }
    return StoredCheckpoint.parse({
      id,
      ...(doc.parent ? { parent: doc.parent } : {}),
      checkpoint: blob(doc.checkpoint),
      metadata: blob(doc.metadata),
      writes,
    });
  };
}
