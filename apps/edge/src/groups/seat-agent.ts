import { type Principal, requireGroupAccess } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { loadRoster } from "./group-view.js";
import { recheckAccess } from "./membership.js";
import { lockRoster, ownAgents, writeRoster } from "./roster.js";
import type { SeatAgentBody, SeatedAgentView } from "./schemas.js";

/**
 * Seats one of the caller's agents in a group (owners only), last or at `seat`. Conflicts: already
 * seated, a seated agent of the same name, or a full group.
 */
export async function seatAgent({
  ctx,
  principal,
  groupId,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  input: SeatAgentBody;
}): Promise<{ items: SeatedAgentView[] }> {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  await ctx.db.transaction(async (tx) => {
    const seats = await lockRoster(tx, groupId);
    // The caller may have been removed or made viewer since the check above: their agents may not sit.
    await recheckAccess(tx, principal, groupId, "manage");
    const agent = (await ownAgents(tx, principal.accountId, [input.agentId])).get(input.agentId);
    const field = (message: string) => ({ fields: [{ path: "body.agentId", message }] });
    if (!agent) throw new AppError("not_found", `no agent ${input.agentId}`, field("unknown"));
    if (seats.some((s) => s.agentId === agent.agentId))
      throw new AppError("conflict", "the agent already sits in this group", field("already seated"));
    if (seats.some((s) => s.name.toLowerCase() === agent.name.toLowerCase()))
      throw new AppError(
        "conflict",
        `an agent named ${agent.name} already sits in this group`,
        field("name taken"),
      );
    if (seats.length >= ctx.config.MAX_AGENTS_PER_GROUP)
      throw new AppError(
        "conflict",
        `a group has at most ${ctx.config.MAX_AGENTS_PER_GROUP} agents`,
        field("group full"),
      );
    const order = seats.map((s) => s.agentId);
    order.splice(Math.min(input.seat ?? order.length, order.length), 0, agent.agentId);
    await writeRoster(tx, groupId, order);
  });
  return { items: await loadRoster(ctx.db, groupId) };
}
