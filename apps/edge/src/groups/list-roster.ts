import { type Principal, requireGroupAccess } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import { loadRoster } from "./group-view.js";
import type { SeatedAgentView } from "./schemas.js";

/** A group's agents in seat order; members only. */
export async function listRoster({
  ctx,
  principal,
  groupId,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
}): Promise<{ items: SeatedAgentView[] }> {
  await requireGroupAccess(ctx.db, principal, groupId, "read");
  return { items: await loadRoster(ctx.db, groupId) };
}
