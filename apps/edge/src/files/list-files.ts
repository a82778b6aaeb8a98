import { type Principal, requireGroupAccess } from "@conclave/auth";
import { and, desc, eq, files, lt, sql } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import { fileSummaryView } from "./file-view.js";
import type { FileSummaryView, ListFilesQuery } from "./schemas.js";

/** A group's files, newest first, a page at a time; each with its row and column counts, not its profile. */
export async function listFiles({
  ctx,
  principal,
  groupId,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  input: ListFilesQuery;
}): Promise<{ items: FileSummaryView[]; nextCursor: string | null }> {
  await requireGroupAccess(ctx.db, principal, groupId, "read");
  const rows = await ctx.db
    .select({
      id: files.id,
      groupId: files.groupId,
      name: files.name,
      contentType: files.contentType,
      size: files.size,
      sha256: files.sha256,
      uploadedBy: files.uploadedBy,
      createdAt: files.createdAt,
      rows: sql<number>`(${files.profile}->>'rows')::int`,
      columns: sql<number>`jsonb_array_length(${files.profile}->'columns')`,
    })
    .from(files)
    .where(and(eq(files.groupId, groupId), input.cursor ? lt(files.id, input.cursor) : undefined))
    // Ids are UUIDv7: their order is their upload order, and a stable cursor.
    .orderBy(desc(files.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return {
    items: page.map(fileSummaryView),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
