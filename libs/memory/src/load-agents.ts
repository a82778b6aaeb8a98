import { agents, and, asc, type Db, eq, type GroupSettings, groupAgents, groups, sql } from "@conclave/db";
import { AgentSnapshot } from "@conclave/subjects";

/** The prompt the model sees: the system prompt, then the personality, when there is one. */
function effectivePrompt(systemPrompt: string, personality: string): string {
  const p = personality.trim();
  if (!p) return systemPrompt;
  return systemPrompt.trim() ? `${systemPrompt}\n\nPersonality: ${p}` : `Personality: ${p}`;
}

// Read at the start of every turn: built once per database, not once per turn.
const groupIdParam = sql.placeholder("groupId");
const prepared = new WeakMap<Db, ReturnType<typeof prepare>>();
function prepare(db: Db) {
  return {
    agents: db
      .select({ agent: agents })
      .from(groupAgents)
      .innerJoin(agents, eq(agents.id, groupAgents.agentId))
      .where(and(eq(groupAgents.groupId, groupIdParam), eq(agents.enabled, true)))
      .orderBy(asc(groupAgents.seat))
      .prepare("conclave_load_agents"),
    group: db
      .select({ strategy: groups.strategy, settings: groups.settings })
      .from(groups)
      .where(eq(groups.id, groupIdParam))
      .limit(1)
      .prepare("conclave_load_group"),
  };
}
function statements(db: Db) {
  let s = prepared.get(db);
  if (!s) {
    s = prepare(db);
    prepared.set(db, s);
  }
  return s;
}

/** The group's enabled agents in seat order, as the executor will see them for this turn. */
export async function loadAgents(db: Db, groupId: string): Promise<AgentSnapshot[]> {
  const rows = await statements(db).agents.execute({ groupId });
  return rows.map(({ agent }) => snapshotOf(agent));
}

/** One agent as a turn snapshots it (null: no such enabled agent). */
export async function loadAgent(db: Db, agentId: string): Promise<AgentSnapshot | null> {
  const [agent] = await db
    .select()
    .from(agents)
    .where(and(eq(agents.id, agentId), eq(agents.enabled, true)))
    .limit(1);
  return agent ? snapshotOf(agent) : null;
}

function snapshotOf(agent: typeof agents.$inferSelect): AgentSnapshot {
  return AgentSnapshot.parse({
    id: agent.id,
    name: agent.name,
    provider: agent.provider,
    ownerId: agent.accountId,
    model: agent.model,
    systemPrompt: effectivePrompt(agent.systemPrompt, agent.personality),
    ...(agent.temperature === null ? {} : { temperature: agent.temperature }),
    ...(agent.maxTokens === null ? {} : { maxTokens: agent.maxTokens }),
    allowedTools: agent.tools,
    scripted: agent.config.scripted ?? {},
    ...(agent.config.memory ? { memory: agent.config.memory } : {}),
  });
}

/** The group's strategy and settings; null when the group is gone. */
export async function loadGroup(
  db: Db,
  groupId: string,
): Promise<{ strategy: (typeof groups.$inferSelect)["strategy"]; settings: GroupSettings } | null> {
  const [row] = await statements(db).group.execute({ groupId });
  return row ?? null;
}
