import { assertGroupRole, groupRoleOf, type Principal, requireScope } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import { assertJsonFits, type ExportPlan, withEnd } from "./export-plan.js";
import { groupExtent, groupRecords } from "./group-records.js";
import type { ExportQuery } from "./schemas.js";

/**
 * Plans the export of a group: settings, seats, members, files (metadata), memory, summaries,
 * votes, events and LLM calls (with their prompts). Owners only, with a read credential: a member
 * or viewer gets 403, anyone else 404. Nothing is read until the records are consumed.
 */
export async function exportGroup({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: ExportQuery & { groupId: string };
}): Promise<ExportPlan> {
  // A read, but of everything (prompts included): the owner's, as managing the group is.
  requireScope(principal, "read");
  assertGroupRole(input.groupId, await groupRoleOf(ctx.db, principal.accountId, input.groupId), "manage");
  const extent = await groupExtent(ctx, input.groupId);
  assertJsonFits(ctx.config, input.format, [extent]);
  return {
    scope: "group",
    id: input.groupId,
    format: input.format,
    exportedAt: new Date().toISOString(),
    records: () => withEnd(groupRecords(ctx, principal.accountId, extent)),
  };
}
