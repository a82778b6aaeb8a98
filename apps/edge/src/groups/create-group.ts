import { agents, groupAgents, groups } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import type { GroupView } from "./get-group.js";
import type { CreateGroupInput } from "./schemas.js";

/** Creates a group and its agents in one transaction (the minimal form; the full API is its own issue). */
export async function createGroup({
  ctx,
  input,
}: {
  ctx: EdgeContext;
  input: CreateGroupInput;
}): Promise<GroupView> {
  const names = input.agents.map((a) => a.name.toLowerCase());
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup)
    throw new AppError("validation", "agent names must be unique in a group", {
      fields: [{ path: "body.agents", message: `duplicate name ${dup}` }],
    });
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
    agents: rows.map((r) => ({ id: r.id, name: r.name, provider: r.provider, model: r.model })),
  };
}
