import { AppError, isAppError } from "@conclave/errors";
import { editBlock, type MemoryStore } from "@conclave/memory";
import type { MemoryBlockStore } from "@conclave/tools";

/**
 * The `memory` tool's store: an agent's edit goes through the group's memory record (its
 * `memory.updated` through the record's outbox), under the call's key so a re-run changes nothing.
 */
export function createMemoryBlocks(store: MemoryStore): MemoryBlockStore {
  return {
    async edit({ groupId, agent, turnId, edit, idempotencyKey }) {
      let done: Awaited<ReturnType<typeof editBlock>>;
      try {
        done = await editBlock(store, {
          groupId,
          change: edit,
          actor: { kind: "agent", id: agent.id, name: agent.name },
          turnId: turnId ?? null,
          ...(idempotencyKey === undefined ? {} : { key: idempotencyKey }),
        });
      } catch (e) {
        // The model names arguments, not request parts: `path.label` is its `label`.
        if (!isAppError(e)) throw e;
        throw new AppError(e.code, e.message, {
          cause: e.cause,
          fields: e.fields.map((f) => ({ ...f, path: f.path.replace(/^(path|body)\./, "") })),
        });
      }
      // A re-run of a call applied before, whose block someone has deleted since.
      if (!done.block) throw new AppError("not_found", `no block ${edit.label}`);
      const { label, value, limit, version } = done.block;
      return { label, value, limit, version, changed: done.changed };
    },
  };
}
