import { type Principal, listWidgetKeys as readWidgetKeys, requireGroupAccess } from "@conclave/auth";
import type { EdgeContext } from "../context.js";

/** The group's widget keys (no secrets), for its owners. */
export async function listWidgetKeys({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string };
}) {
  await requireGroupAccess(ctx.db, principal, input.groupId, "manage");
  return { items: await readWidgetKeys(ctx.db, input.groupId) };
}
