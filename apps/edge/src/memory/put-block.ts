import { type Principal, requireGroupAccess } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import { editBlock } from "@conclave/memory";
import type { EdgeContext } from "../context.js";
import { blockView } from "./block-view.js";
import type { MemoryBlockView } from "./schemas.js";

/**
 * Sets a block's whole text (and limit), creating it; owners and members. A limit refused changes
 * nothing; `ifVersion` (If-Match) makes it a compare-and-set. One `memory.updated` per change.
 */
export async function putBlock({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; label: string; value: string; limit?: number; ifVersion?: number };
}): Promise<{ block: MemoryBlockView; created: boolean }> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "post");
  const { groupId, label, value, limit, ifVersion } = input;
  const done = await editBlock(ctx.memory, {
    groupId,
    change: {
      action: "set",
      label,
      value,
      ...(limit === undefined ? {} : { limit }),
      ...(ifVersion === undefined ? {} : { ifVersion }),
    },
    actor: { kind: "user", id: principal.accountId },
  });
  if (!done.block) throw new AppError("internal", `block ${label} missing after it was set`);
  ctx.log.info({ groupId, label, version: done.block.version, eventId: done.eventId }, "memory block set");
  return { block: blockView(done.block), created: done.created };
}
