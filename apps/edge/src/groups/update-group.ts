import { type Principal, requireGroupAccess } from "@conclave/auth";
import { eq, type GroupSettings, groups } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import { loadGroupView } from "./group-view.js";
import type { GroupPatch, GroupSettingsPatch, GroupView } from "./schemas.js";

/** Applies a settings merge patch: given keys change, `null` drops a key back to its default. */
export function mergeSettings(current: GroupSettings, patch: GroupSettingsPatch): GroupSettings {
  const next: GroupSettings = { ...current };
  if (patch.turnLimits === null) delete next.turnLimits;
  else if (patch.turnLimits) {
    const limits: Record<string, number> = { ...current.turnLimits };
    for (const [key, value] of Object.entries(patch.turnLimits)) {
      if (value === null) delete limits[key];
      else if (value !== undefined) limits[key] = value;
    }
    next.turnLimits = limits;
  }
  if (patch.concurrentInput === null) delete next.concurrentInput;
  else if (patch.concurrentInput) next.concurrentInput = patch.concurrentInput;
  if (patch.retentionDays === null) delete next.retentionDays;
  else if (patch.retentionDays !== undefined) next.retentionDays = patch.retentionDays;
  return next;
}

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
    await tx
      .update(groups)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.strategy !== undefined ? { strategy: input.strategy } : {}),
        ...(input.settings ? { settings: mergeSettings(current.settings, input.settings) } : {}),
        updatedAt: new Date(),
      })
      .where(eq(groups.id, groupId));
  });
  return loadGroupView(ctx.db, groupId, role);
}
