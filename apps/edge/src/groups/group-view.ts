import type { GroupRole } from "@conclave/auth";
import { agents, asc, type Db, eq, type GroupSettings, groupAgents, groups } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { resolveMemory } from "@conclave/memory";
import type { GroupSettingsView, GroupView, SeatedAgentView } from "./schemas.js";

/** The ballot's defaults: a simple majority of at least one ballot, open for a minute. */
export const VOTING_DEFAULTS = {
  rule: "majority",
  quorum: { kind: "count", min: 1 },
  deadlineMs: 60_000,
} as const satisfies GroupSettingsView["voting"];

/** The ballot as shown: every key with its effective value; a threshold only with a supermajority. */
export function votingView(v: GroupSettings["voting"] = {}): GroupSettingsView["voting"] {
  const rule = v.rule ?? VOTING_DEFAULTS.rule;
  const quorum = v.quorum ?? VOTING_DEFAULTS.quorum;
  return {
    rule,
    ...(rule === "supermajority" && v.threshold !== undefined ? { threshold: v.threshold } : {}),
    // Keys in a fixed order: PostgreSQL's jsonb does not keep them, and exports must not differ.
    quorum: { kind: quorum.kind, min: quorum.min },
    deadlineMs: v.deadlineMs ?? VOTING_DEFAULTS.deadlineMs,
  };
}

/** Settings as shown: every policy with its effective value, limits as set. */
export function settingsView(s: GroupSettings): GroupSettingsView {
  return {
    turnLimits: s.turnLimits ?? {},
    voting: votingView(s.voting),
    selectorAgentId: s.selectorAgentId ?? null,
    mentionFallback: s.mentionFallback ?? "broadcast",
    concurrentInput: s.concurrentInput ?? "enqueue",
    retentionDays: s.retentionDays ?? null,
    memory: resolveMemory(s.memory),
  };
}

/** A group's agents in seat order (access is the caller's to check). */
export async function loadRoster(db: Db, groupId: string): Promise<SeatedAgentView[]> {
  return db
    .select({
      id: agents.id,
      name: agents.name,
      provider: agents.provider,
      model: agents.model,
      enabled: agents.enabled,
      seat: groupAgents.seat,
    })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(eq(groupAgents.groupId, groupId))
    .orderBy(asc(groupAgents.seat));
}

/** The group as its members see it (access is the caller's to check). */
/** A group row's own fields as the API shows them (its settings with their defaults). */
export function groupFields(group: typeof groups.$inferSelect) {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    strategy: group.strategy,
    settings: settingsView(group.settings),
    createdAt: group.createdAt.toISOString(),
    updatedAt: group.updatedAt.toISOString(),
  };
}

export async function loadGroupView(db: Db, groupId: string, role: GroupRole): Promise<GroupView> {
  const [group] = await db.select().from(groups).where(eq(groups.id, groupId));
  if (!group) throw new AppError("not_found", `no group ${groupId}`);
  return {
    ...groupFields(group),
    role,
    agents: await loadRoster(db, groupId),
    ...(group.forkedFrom ? { forkedFrom: group.forkedFrom } : {}),
  };
}
