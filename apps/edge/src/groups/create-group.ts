import { type Principal, requireScope } from "@conclave/auth";
import { agents, and, eq, groupAgents, groupMembers, groups, inArray } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import { assertNoIssues, choiceOf, newAgentRow, promptBudgetIssue } from "../agents/agent-row.js";
import { insertAgents } from "../agents/create-agent.js";
import type { EdgeContext } from "../context.js";
import { providerCheck } from "../providers/check-providers.js";
import { loadGroupView } from "./group-view.js";
import { duplicateNames } from "./roster.js";
import type { CreateGroupInput, GroupView } from "./schemas.js";
import { selectorIssue, storedSettings } from "./settings.js";
import { summarizerIssue } from "./summarizer.js";

/**
 * Creates a group with the caller as its owner, in one transaction: new agents given inline are made
 * in the caller's account and seated first, then the caller's existing agents given by id.
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
  assertNoIssues(
    input.agents.flatMap((a, i) =>
      promptBudgetIssue(a.systemPrompt, a.personality, `body.agents.${i}.personality`),
    ),
  );
  const dupIds = input.agentIds.flatMap((id, i) =>
    input.agentIds.indexOf(id) === i
      ? []
      : [{ path: `body.agentIds.${i}`, message: "an agent may sit once" }],
  );
  assertNoIssues([
    ...dupIds,
    // New agents get their ids here, so only an existing agent given by id can be named the selector.
    ...selectorIssue(
      input.settings.selectorAgentId,
      input.agentIds,
      "body.settings.selectorAgentId",
      "must be one of agentIds: an agent seated in the new group",
    ),
    ...(await summarizerIssue(ctx.db, principal.accountId, input.settings.memory?.summarizerAgentId)),
  ]);
  const rows = input.agents.map((a) => newAgentRow(principal.accountId, a));
  await providerCheck(ctx, principal.accountId)(rows.map((r, i) => choiceOf(r, `body.agents.${i}`)));
  const groupId = newEventId();
  const seated = [...rows.map((r) => r.id), ...input.agentIds];
  await ctx.db.transaction(async (tx) => {
    const existing = input.agentIds.length
      ? await tx
          .select({ id: agents.id, name: agents.name })
          .from(agents)
          .where(and(eq(agents.accountId, principal.accountId), inArray(agents.id, input.agentIds)))
      : [];
    const byId = new Map(existing.map((a) => [a.id, a]));
    const missing = input.agentIds.flatMap((id, i) =>
      byId.has(id) ? [] : [{ path: `body.agentIds.${i}`, message: `no agent ${id}` }],
    );
    if (missing.length > 0) throw new AppError("not_found", "no such agent", { fields: missing });
    assertNoIssues(
      duplicateNames([
        ...rows.map((r, i) => ({ name: r.name, path: `body.agents.${i}.name` })),
        ...input.agentIds.map((id, i) => ({ name: byId.get(id)?.name ?? "", path: `body.agentIds.${i}` })),
      ]),
      "agent names must be unique in a group",
    );
    await tx.insert(groups).values({
      id: groupId,
      name: input.name,
      description: input.description,
      strategy: input.strategy,
      settings: storedSettings(input.settings),
    });
    await tx.insert(groupMembers).values({ groupId, accountId: principal.accountId, role: "owner" });
    await insertAgents(tx, principal.accountId, rows, ctx.config.MAX_AGENTS_PER_ACCOUNT);
    if (seated.length > 0)
      await tx.insert(groupAgents).values(seated.map((agentId, seat) => ({ groupId, agentId, seat })));
  });
  ctx.log.info({ groupId, agents: seated.length }, "group created");
  return loadGroupView(ctx.db, groupId, "owner");
}
