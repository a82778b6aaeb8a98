import { type Principal, requireGroupAccess } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { recheckAccess } from "./membership.js";
import { lockRoster, writeRoster } from "./roster.js";

/** Takes an agent out of a group (owners only); the others close up their seats. */
export async function unseatAgent({
  ctx,
  principal,
  groupId,
  agentId,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  agentId: string;
}): Promise<void> {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  await ctx.db.transaction(async (tx) => {
    const order = (await lockRoster(tx, groupId)).map((s) => s.agentId);
    await recheckAccess(tx, principal, groupId, "manage");
    if (!order.includes(agentId))
      throw new AppError("not_found", `agent ${agentId} does not sit in this group`);
    await writeRoster(
      tx,
      groupId,
      order.filter((id) => id !== agentId),
    );
  });
}
