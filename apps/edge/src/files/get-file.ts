import { type Principal, requireGroupAccess } from "@conclave/auth";
import { and, eq, files } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { fileView } from "./file-view.js";
import type { FileView } from "./schemas.js";

/** One file of a group with its profile; a file of another group is a 404 like a missing one. */
export async function getFile({
  ctx,
  principal,
  groupId,
  fileId,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  fileId: string;
}): Promise<FileView> {
  await requireGroupAccess(ctx.db, principal, groupId, "read");
  const [row] = await ctx.db
    .select()
    .from(files)
    .where(and(eq(files.groupId, groupId), eq(files.id, fileId)));
  if (!row) throw new AppError("not_found", `no file ${fileId} in this group`);
  return fileView(row);
}
