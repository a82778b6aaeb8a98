import { agents, asc, eq, groupAgents, groups } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";

export interface GroupView {
  id: string;
  name: string;
  strategy: string;
  createdAt: string;
  agents: { id: string; name: string; provider: string; model: string }[];
}

/** A group with its agents in seat order; 404 when there is no such group. */
export async function getGroup({ ctx, groupId }: { ctx: EdgeContext; groupId: string }): Promise<GroupView> {
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
    agents: members,
  };
}

/** Throws 404 unless the group exists (cheaper than loading it). */
export async function requireGroup(ctx: EdgeContext, groupId: string): Promise<void> {
  const [row] = await ctx.db.select({ id: groups.id }).from(groups).where(eq(groups.id, groupId));
  if (!row) throw new AppError("not_found", `no group ${groupId}`);
}
