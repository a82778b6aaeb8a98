import { type Principal, requireGroupAccess } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { blockView } from "./block-view.js";
import type { MemoryBlockView } from "./schemas.js";

/** One of the group's memory blocks; anyone in the group may read it. */
export async function getBlock({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; label: string };
}): Promise<MemoryBlockView> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "read");
  const record = await ctx.memory.read(input.groupId);
  const block = record.blocks.find((b) => b.label === input.label);
  if (!block) throw new AppError("not_found", `no block ${input.label}`);
  return blockView(block);
}
