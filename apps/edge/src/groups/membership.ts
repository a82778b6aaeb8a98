import { type GroupAction, type GroupRole, type Principal, requireGroupAccess } from "@conclave/auth";
import { agents, and, eq, groupAgents, groupMembers } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { Tx } from "../tx.js";
import { writeRoster } from "./roster.js";

export interface Person {
  accountId: string;
  role: GroupRole;
}

/**
 * Checks again, inside the transaction after `lockGroup`, that the caller may still act: the check
 * made before the lock may be stale (a concurrent removal or demotion of the caller committed since).
 */
export async function recheckAccess(tx: Tx, principal: Principal, groupId: string, action: GroupAction) {
  await requireGroupAccess(tx, principal, groupId, action);
}

/** The people of a group and their roles (read after `lockGroup`, so nobody changes them meanwhile). */
export function peopleOf(tx: Tx, groupId: string): Promise<Person[]> {
  return tx
    .select({ accountId: groupMembers.accountId, role: groupMembers.role })
    .from(groupMembers)
    .where(eq(groupMembers.groupId, groupId));
}

/** 409 when giving `accountId` the role `next` (null: removing them) would leave the group with no owner. */
export function assertKeepsOwner(people: Person[], accountId: string, next: GroupRole | null, path: string) {
  const owners = people.filter((p) => p.role === "owner");
  if (next !== "owner" && owners.length === 1 && owners[0]?.accountId === accountId)
    throw new AppError("conflict", "a group keeps at least one owner; delete the group instead", {
      fields: [{ path, message: "the last owner" }],
    });
}

/** Whether a person in this role keeps their agents seated: an agent speaks for its owner. */
export const keepsSeats = (role: GroupRole | null) => role === "owner" || role === "member";

/**
 * Takes a person's agents out of the group (the others close up their seats), in the caller's
 * transaction after `lockGroup`; returns the ids taken out.
 */
export async function unseatAgentsOf(tx: Tx, groupId: string, accountId: string): Promise<string[]> {
  const seats = await tx
    .select({ agentId: groupAgents.agentId, seat: groupAgents.seat, owner: agents.accountId })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(eq(groupAgents.groupId, groupId));
  const theirs = seats.filter((s) => s.owner === accountId).map((s) => s.agentId);
  if (theirs.length === 0) return [];
  const kept = seats
    .filter((s) => s.owner !== accountId)
    .sort((a, b) => a.seat - b.seat)
    .map((s) => s.agentId);
  await writeRoster(tx, groupId, kept);
  return theirs;
}

/**
 * Gives a person already in the group another role, in the caller's transaction after `lockGroup`:
 * never the last owner's (409), only while the caller still manages the group, and a person who
 * may no longer post loses their agents' seats (returned).
 */
export async function changeRole(
  tx: Tx,
  principal: Principal,
  { groupId, target, role, path }: { groupId: string; target: Person; role: GroupRole; path: string },
  people: Person[],
): Promise<string[]> {
  assertKeepsOwner(people, target.accountId, role, path);
  await recheckAccess(tx, principal, groupId, "manage");
  if (target.role === role) return [];
  await tx
    .update(groupMembers)
    .set({ role })
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, target.accountId)));
  return keepsSeats(role) ? [] : unseatAgentsOf(tx, groupId, target.accountId);
}

/** Logs the agents a membership change unseated (after the commit): the record of why they left. */
export function logUnseated(
  log: Logger,
  groupId: string,
  accountId: string,
  agentIds: string[],
  why: string,
) {
  if (agentIds.length > 0)
    log.info({ groupId, accountId, agentIds, why }, "their agents no longer sit in the group");
}
