import { and, asc, eq, gt, messages } from "@conclave/db";
import type { EdgeContext } from "../context.js";

export interface MessageView {
  id: string;
  seq: number;
  type: string;
  turnId: string | null;
  author: { kind: string; id: string; name: string | null };
  content: string;
  at: string;
}

/** (Access is checked by the route.) A page of a group's history in stream order, after `afterSeq`; `nextAfterSeq` continues it. */
export async function listMessages({
  ctx,
  groupId,
  afterSeq,
  limit,
}: {
  ctx: EdgeContext;
  groupId: string;
  afterSeq: number;
  limit: number;
}): Promise<{ items: MessageView[]; nextAfterSeq: number | null }> {
  const rows = await ctx.db
    .select()
    .from(messages)
    .where(and(eq(messages.groupId, groupId), gt(messages.seq, afterSeq)))
    .orderBy(asc(messages.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const items = page.map((m) => ({
    id: m.id,
    seq: m.seq,
    type: m.type,
    turnId: m.turnId,
    author: { kind: m.authorKind, id: m.authorId, name: m.authorName },
    content: m.content,
    at: new Date(m.at).toISOString(),
  }));
  return { items, nextAfterSeq: rows.length > limit ? (page.at(-1)?.seq ?? null) : null };
}
