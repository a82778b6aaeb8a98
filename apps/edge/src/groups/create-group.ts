import { type Principal, requireScope } from "@conclave/auth";
import { agents, groupAgents, groupMembers, groups } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import type { GroupView } from "./get-group.js";
import type { CreateGroupInput } from "./schemas.js";

/**
 * Creates a group, its agents and the caller as its owner, in one transaction (the minimal form;
 * the full agents and groups API is its own piece of work).
 */
export async function createGroup({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: CreateGroupInput;
}): Promise<GroupView> {
  requireScope(principal, "write");
  const names = input.agents.map((a) => a.name.toLowerCase());
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) {
    throw new AppError("validation", "agent names must be unique in a group", {
      fields: [{ path: "body.agents", message: `duplicate name ${dup}` }],
    });
  }
  const groupId = newEventId();
  const rows = input.agents.map((a) => ({
    id: newEventId(),
    name: a.name,
    provider: a.provider,
    model: a.model,
    systemPrompt: a.systemPrompt,
    config: { scripted: a.scripted },
  }));
  const createdAt = await ctx.db.transaction(async (tx) => {
    const [g] = await tx
      .insert(groups)
      .values({ id: groupId, name: input.name })
      .returning({ createdAt: groups.createdAt });
    await tx.insert(groupMembers).values({ groupId, accountId: principal.accountId, role: "owner" });
    if (rows.length > 0) {
      await tx.insert(agents).values(rows);
      await tx.insert(groupAgents).values(rows.map((r, seat) => ({ groupId, agentId: r.id, seat })));
    }
    return g?.createdAt ?? new Date();
  });
  return {
    id: groupId,
    name: input.name,
    strategy: "broadcast",
    createdAt: createdAt.toISOString(),
    role: "owner",
    agents: rows.map((r) => ({ id: r.id, name: r.name, provider: r.provider, model: r.model })),
  };
}
