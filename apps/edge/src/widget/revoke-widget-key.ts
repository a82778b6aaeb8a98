import { revokeWidgetKey as dropWidgetKey, type Principal, requireGroupAccess } from "@conclave/auth";
import type { EdgeContext } from "../context.js";

/** Revokes one of the group's widget keys; every edge stops accepting it within moments. */
export async function revokeWidgetKey({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; keyId: string };
}): Promise<void> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "manage");
  await dropWidgetKey(ctx.db, input.groupId, input.keyId);
  await ctx.caches.changed({ kind: "api_key", apiKeyId: input.keyId });
}
