import { type Principal, requireGroupAccess } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import { assertNoIssues } from "../agents/agent-row.js";
import type { EdgeContext } from "../context.js";
import { loadRoster } from "./group-view.js";
import { recheckAccess } from "./membership.js";
import { duplicateNames, lockRoster, ownAgents, writeRoster } from "./roster.js";
import type { SeatedAgentView } from "./schemas.js";

/**
 * Replaces a group's roster (owners only): the agents in seat order. Each is already seated or one
 * of the caller's; agents left out leave the group.
 */
export async function setRoster({
  ctx,
  principal,
  groupId,
  agentIds,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  agentIds: string[];
}): Promise<{ items: SeatedAgentView[] }> {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  await ctx.db.transaction(async (tx) => {
    const seated = new Map((await lockRoster(tx, groupId)).map((s) => [s.agentId, s]));
    // The caller may have been removed or made viewer since the check above: their agents may not sit.
    await recheckAccess(tx, principal, groupId, "manage");
    const own = await ownAgents(
      tx,
      principal.accountId,
      agentIds.filter((id) => !seated.has(id)),
    );
    const named = agentIds.map((id) => seated.get(id) ?? own.get(id));
    const missing = agentIds.flatMap((id, i) =>
      named[i] ? [] : [{ path: `body.agentIds.${i}`, message: `no agent ${id}` }],
    );
    if (missing.length > 0) throw new AppError("not_found", "no such agent", { fields: missing });
    assertNoIssues(
      duplicateNames(named.map((s, i) => ({ name: s?.name ?? "", path: `body.agentIds.${i}` }))),
      "agent names must be unique in a group",
    );
    await writeRoster(tx, groupId, agentIds);
  });
  return { items: await loadRoster(ctx.db, groupId) };
}
