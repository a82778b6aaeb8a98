import { type Principal, requireGroupAccess } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import { loadGroupView } from "./group-view.js";
import type { GroupView } from "./schemas.js";

/** A group the caller belongs to, with its agents in seat order; 404 otherwise. */
export async function getGroup({
  ctx,
  principal,
  groupId,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
}): Promise<GroupView> {
  const role = await requireGroupAccess(ctx.db, principal, groupId, "read");
  return loadGroupView(ctx.db, groupId, role);
}
