import { type Principal, requireGroupAccess } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import { blocksView } from "./block-view.js";
import type { MemoryBlocksView } from "./schemas.js";

/** The group's memory blocks, by label; anyone in the group may read them. */
export async function listBlocks({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string };
}): Promise<MemoryBlocksView> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "read");
  return blocksView(await ctx.memory.read(input.groupId));
}
