import { type Principal, requireGroupAccess } from "@conclave/auth";
import { editBlock } from "@conclave/memory";
import type { EdgeContext } from "../context.js";

/** Deletes a block; owners and members. `ifVersion` (If-Match) makes it a compare-and-set. */
export async function deleteBlock({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; label: string; ifVersion?: number };
}): Promise<void> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "post");
  const { groupId, label, ifVersion } = input;
  const done = await editBlock(ctx.memory, {
    groupId,
    change: { action: "delete", label, ...(ifVersion === undefined ? {} : { ifVersion }) },
    actor: { kind: "user", id: principal.accountId },
  });
  ctx.log.info({ groupId, label, eventId: done.eventId }, "memory block deleted");
}
