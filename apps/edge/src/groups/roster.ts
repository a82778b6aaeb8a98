import { agents, and, asc, eq, groupAgents, groups, inArray } from "@conclave/db";
import { AppError, type FieldIssue } from "@conclave/errors";
import type { Tx } from "../tx.js";

/**
 * Locks the group row: every change of a group's people or seats takes this one lock first, so
 * they apply one at a time and each sees the others' outcome (the last owner, who may still seat).
 */
export async function lockGroup(tx: Tx, groupId: string): Promise<void> {
  const [group] = await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, groupId)).for("update");
  if (!group) throw new AppError("not_found", `no group ${groupId}`);
}

export interface Seat {
  agentId: string;
  name: string;
}

/**
 * The group's seats in order, with the group row locked so roster changes apply one at a time
 * (the agents-per-group limit and name uniqueness hold under concurrent changes).
 */
export async function lockRoster(tx: Tx, groupId: string): Promise<Seat[]> {
  await lockGroup(tx, groupId);
  return tx
    .select({ agentId: groupAgents.agentId, name: agents.name })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(eq(groupAgents.groupId, groupId))
    .orderBy(asc(groupAgents.seat));
}

/** The caller's agents among `ids`, by id. */
export async function ownAgents(tx: Tx, accountId: string, ids: string[]): Promise<Map<string, Seat>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ agentId: agents.id, name: agents.name })
    .from(agents)
    .where(and(eq(agents.accountId, accountId), inArray(agents.id, ids)));
  return new Map(rows.map((r) => [r.agentId, r]));
}

/** Replaces the group's seats with `agentIds`, seated 0..n-1 in that order. */
export async function writeRoster(tx: Tx, groupId: string, agentIds: string[]): Promise<void> {
  await tx.delete(groupAgents).where(eq(groupAgents.groupId, groupId));
  if (agentIds.length > 0)
    await tx.insert(groupAgents).values(agentIds.map((agentId, seat) => ({ groupId, agentId, seat })));
  await tx.update(groups).set({ updatedAt: new Date() }).where(eq(groups.id, groupId));
}

/** Duplicate names (any case) among a roster, each named at its path. */
export function duplicateNames(named: { name: string; path: string }[]): FieldIssue[] {
  const seen = new Set<string>();
  const issues: FieldIssue[] = [];
  for (const { name, path } of named) {
    const key = name.toLowerCase();
    if (seen.has(key)) issues.push({ path, message: `duplicate name ${name}: names are unique in a group` });
    seen.add(key);
  }
  return issues;
}
