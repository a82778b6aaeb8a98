import { agents, and, eq, groupAgents, inArray, sql } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Tx } from "../tx.js";

/** Refuses (409) a name another agent already has in a group where agent `id` sits: names are unique in a group. */
export async function assertNameFreeInGroups(tx: Tx, id: string, name: string, path: string): Promise<void> {
  const groupsOfAgent = tx
    .select({ groupId: groupAgents.groupId })
    .from(groupAgents)
    .where(eq(groupAgents.agentId, id));
  const [clash] = await tx
    .select({ groupId: groupAgents.groupId })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(
      and(
        inArray(groupAgents.groupId, groupsOfAgent),
        sql`${groupAgents.agentId} <> ${id}`,
        sql`lower(${agents.name}) = lower(${name})`,
      ),
    )
    .limit(1);
  if (clash)
    throw new AppError("conflict", `another agent named ${name} sits in group ${clash.groupId}`, {
      fields: [{ path, message: "name taken in a group this agent sits in" }],
    });
}
