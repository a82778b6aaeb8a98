import { type Principal, requireGroupAccess } from "@conclave/auth";
import { and, eq, files } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import type { FileStore } from "./file-store.js";

/**
 * Deletes a file (owners): its bytes, then its row. Agents read the bytes, so they go first; if the
 * row's delete then fails, the file is still listed and a retry finishes the job.
 */
export async function deleteFile({
  ctx,
  store,
  principal,
  groupId,
  fileId,
}: {
  ctx: EdgeContext;
  store: FileStore;
  principal: Principal;
  groupId: string;
  fileId: string;
}): Promise<void> {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  const [row] = await ctx.db
    .select({ id: files.id })
    .from(files)
    .where(and(eq(files.groupId, groupId), eq(files.id, fileId)));
  if (!row) throw new AppError("not_found", `no file ${fileId} in this group`);
  if (!ctx.busUp()) throw new AppError("unavailable", "the event bus is unreachable; retry later");
  await store.remove(groupId, fileId);
  await ctx.db.delete(files).where(and(eq(files.groupId, groupId), eq(files.id, fileId)));
  ctx.log.info({ groupId, fileId }, "file deleted");
}
