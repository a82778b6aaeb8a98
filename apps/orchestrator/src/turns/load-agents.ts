import { agents, asc, type Db, eq, groupAgents } from "@conclave/db";
import { AgentSnapshot } from "@conclave/subjects";

/** The group's agents in seat order, as the executor will see them for this turn. */
export async function loadAgents(db: Db, groupId: string): Promise<AgentSnapshot[]> {
  const rows = await db
    .select({ agent: agents })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(eq(groupAgents.groupId, groupId))
    .orderBy(asc(groupAgents.seat));
  return rows.map(({ agent }) =>
    AgentSnapshot.parse({
      id: agent.id,
      name: agent.name,
      provider: agent.provider,
      model: agent.model,
      systemPrompt: agent.systemPrompt,
      scripted: agent.config.scripted ?? {},
    }),
  );
}
