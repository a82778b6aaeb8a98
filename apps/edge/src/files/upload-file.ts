import { createHash } from "node:crypto";
import { type Principal, requireGroupAccess } from "@conclave/auth";
import { files } from "@conclave/db";
import { AppError, describeError, isAppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import type { CsvProfiler, DatasetProfile } from "@conclave/tools";
import type { EdgeContext } from "../context.js";
import type { FileStore } from "./file-store.js";
import { fileView } from "./file-view.js";
import { readCappedBody } from "./read-capped-body.js";
import type { FileView } from "./schemas.js";

export interface UploadFileInput {
  groupId: string;
  name: string;
  /** The request body, read here (after the access check) up to `maxBytes`. */
  body: ReadableStream<Uint8Array> | null;
  contentLength: string | undefined;
}

function decodeUtf8(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AppError("validation", "the file is not UTF-8 text", {
      fields: [{ path: "body", message: "not UTF-8" }],
    });
  }
  // Its cells reach the stored profile, and PostgreSQL cannot store a NUL.
  const nul = text.indexOf("\u0000");
  if (nul >= 0) {
    const line = text.slice(0, nul).split("\n").length;
    throw new AppError("validation", `the file holds a NUL (U+0000) character on line ${line}`, {
      fields: [{ path: "body", message: `NUL character on line ${line}` }],
    });
  }
  return text;
}

/**
 * Profiles the CSV on the profiler's thread (seconds of CPU for a large file must not stall every
 * other request); a malformed or empty one is a 400 naming the problem, one past the caps a 413.
 */
async function profile(profiler: CsvProfiler, text: string, maxBytes: number): Promise<DatasetProfile> {
  try {
    return await profiler.profile(text, { maxBytes });
  } catch (e) {
    if (!isAppError(e)) throw e;
    throw new AppError(e.code, e.message, { cause: e, fields: [{ path: "body", message: e.message }] });
  }
}

/**
 * Uploads a CSV to a group (owners and members): reads it up to `maxBytes`, profiles it, stores the
 * bytes in the object store, then the row with the profile. The object goes first so a listed file
 * always has its bytes; a failed insert removes the object again.
 */
export async function uploadFile({
  ctx,
  store,
  profiler,
  maxBytes,
  principal,
  input,
}: {
  ctx: EdgeContext;
  store: FileStore;
  profiler: CsvProfiler;
  maxBytes: number;
  principal: Principal;
  input: UploadFileInput;
}): Promise<FileView> {
  const { groupId, name } = input;
  await requireGroupAccess(ctx.db, principal, groupId, "post");
  const bytes = await readCappedBody(input.body, input.contentLength, maxBytes);
  const text = decodeUtf8(bytes);
  const fileProfile = await profile(profiler, text, maxBytes);
  // While the link is down a put would be buffered and sent later: refuse now instead.
  if (!ctx.busUp()) throw new AppError("unavailable", "the event bus is unreachable; retry later");
  const id = newEventId();
  await store.put(groupId, id, { name, bytes });
  let row: typeof files.$inferSelect | undefined;
  try {
    [row] = await ctx.db
      .insert(files)
      .values({
        id,
        groupId,
        name,
        contentType: "text/csv",
        size: bytes.byteLength,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        profile: fileProfile,
        uploadedBy: principal.accountId,
      })
      .returning();
  } catch (e) {
    await store
      .remove(groupId, id)
      .catch((removeError: unknown) =>
        ctx.log.error(
          { groupId, fileId: id, err: describeError(removeError) },
          "file row not stored, and its object not removed",
        ),
      );
    throw e;
  }
  if (!row) throw new AppError("internal", "the file row was not returned");
  ctx.log.info({ groupId, fileId: id, size: row.size, rows: fileProfile.rows }, "file uploaded");
  return fileView(row);
}
