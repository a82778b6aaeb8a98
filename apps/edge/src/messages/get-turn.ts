import { and, eq, turns } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";

/** A turn's status as recorded; 404 if it is not (yet) known in this group. */
export async function getTurn({
  ctx,
  groupId,
  turnId,
}: {
  ctx: EdgeContext;
  groupId: string;
  turnId: string;
}) {
  const [t] = await ctx.db
    .select()
    .from(turns)
    .where(and(eq(turns.groupId, groupId), eq(turns.id, turnId)));
  if (!t) throw new AppError("not_found", `no turn ${turnId} in group ${groupId}`);
  const iso = (v: string | null) => (v ? new Date(v).toISOString() : null);
  return {
    id: t.id,
    groupId: t.groupId,
    messageId: t.messageId,
    status: t.status,
    reason: t.reason,
    postedAt: iso(t.postedAt),
    startedAt: iso(t.startedAt),
    endedAt: iso(t.endedAt),
  };
}
