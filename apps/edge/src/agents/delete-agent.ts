import { type Principal, requireScope } from "@conclave/auth";
import { agents, eq, groupAgents } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { lockRoster, writeRoster } from "../groups/roster.js";
import type { Tx } from "../tx.js";
import { lockOwnAgent } from "./own-agent.js";

/**
 * Deletes one of the account's agents inside `tx`. One that sits in groups is a conflict unless
 * `force`, which takes it out of them first (their other agents close up their seats).
 */
export async function removeAgent(tx: Tx, accountId: string, id: string, force: boolean): Promise<void> {
  await lockOwnAgent(tx, accountId, id);
  const seats = await tx
    .select({ groupId: groupAgents.groupId })
    .from(groupAgents)
    .where(eq(groupAgents.agentId, id));
  if (seats.length > 0 && !force)
    throw new AppError(
      "conflict",
      `the agent sits in ${seats.length} group(s); remove it there, or delete with force`,
    );
  // Groups locked in one order, so two such deletions never wait on each other in a cycle.
  for (const groupId of seats.map((s) => s.groupId).sort()) {
    const order = (await lockRoster(tx, groupId)).map((s) => s.agentId);
    await writeRoster(
      tx,
      groupId,
      order.filter((a) => a !== id),
    );
  }
  await tx.delete(agents).where(eq(agents.id, id));
}

/** Deletes one of the caller's agents (see `removeAgent`). */
export async function deleteAgent({
  ctx,
  principal,
  id,
  force,
}: {
  ctx: EdgeContext;
  principal: Principal;
  id: string;
  force: boolean;
}): Promise<void> {
  requireScope(principal, "write");
  await ctx.db.transaction((tx) => removeAgent(tx, principal.accountId, id, force));
  ctx.log.info({ agentId: id }, "agent deleted");
}
