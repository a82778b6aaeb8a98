import { type GroupRole, type Principal, requireGroupAccess } from "@conclave/auth";
import { agents, asc, desc, eq, groupAgents, groupMembers, groups } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";

export interface GroupView {
  id: string;
  name: string;
  strategy: string;
  createdAt: string;
  /** The caller's role in the group. */
  role: GroupRole;
  agents: { id: string; name: string; provider: string; model: string }[];
}

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
  const [group] = await ctx.db.select().from(groups).where(eq(groups.id, groupId));
  if (!group) throw new AppError("not_found", `no group ${groupId}`);
  const members = await ctx.db
    .select({ id: agents.id, name: agents.name, provider: agents.provider, model: agents.model })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(eq(groupAgents.groupId, groupId))
    .orderBy(asc(groupAgents.seat));
  return {
    id: group.id,
    name: group.name,
    strategy: group.strategy,
    createdAt: group.createdAt.toISOString(),
    role,
    agents: members,
  };
}

/** The groups the caller belongs to, newest first. */
export async function listGroups({ ctx, principal }: { ctx: EdgeContext; principal: Principal }) {
  const rows = await ctx.db
    .select({
      id: groups.id,
      name: groups.name,
      strategy: groups.strategy,
      createdAt: groups.createdAt,
      role: groupMembers.role,
    })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(eq(groupMembers.accountId, principal.accountId))
    .orderBy(desc(groups.createdAt))
    .limit(500);
  return { items: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
}
