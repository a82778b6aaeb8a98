import { type Principal, requireGroupAccess } from "@conclave/auth";
import { and, eq, groupAgents, groups } from "@conclave/db";
import { assertNoIssues } from "../agents/agent-row.js";
import type { EdgeContext } from "../context.js";
import { loadGroupView } from "./group-view.js";
import type { GroupPatch, GroupView } from "./schemas.js";
import { mergeSettings, patchedSettingsIssues, selectorIssue } from "./settings.js";
import { summarizerIssue } from "./summarizer.js";

/**
 * Changes a group's name, description, strategy or settings; owners only. A running turn keeps what
 * it started with: turns read the group when they start.
 */
export async function updateGroup({
  ctx,
  principal,
  groupId,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  input: GroupPatch;
}): Promise<GroupView> {
  const role = await requireGroupAccess(ctx.db, principal, groupId, "manage");
  await ctx.db.transaction(async (tx) => {
    const [current] = await tx.select().from(groups).where(eq(groups.id, groupId)).for("update");
    if (!current) return;
    const settings = input.settings ? mergeSettings(current.settings, input.settings) : undefined;
    if (settings && input.settings) {
      const selector = input.settings.selectorAgentId;
      const seated = selector
        ? await tx
            .select({ agentId: groupAgents.agentId })
            .from(groupAgents)
            .where(and(eq(groupAgents.groupId, groupId), eq(groupAgents.agentId, selector)))
        : [];
      assertNoIssues([
        ...patchedSettingsIssues(settings, input.settings),
        ...selectorIssue(
          selector,
          seated.map((s) => s.agentId),
          "body.settings.selectorAgentId",
        ),
        ...(await summarizerIssue(tx, principal.accountId, input.settings.memory?.summarizerAgentId)),
      ]);
    }
    await tx
      .update(groups)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.strategy !== undefined ? { strategy: input.strategy } : {}),
        ...(settings ? { settings } : {}),
        updatedAt: new Date(),
      })
      .where(eq(groups.id, groupId));
  });
  await ctx.caches.changed({ kind: "group", groupId });
  return loadGroupView(ctx.db, groupId, role);
}
