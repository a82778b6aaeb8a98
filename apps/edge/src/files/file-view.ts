import type { files } from "@conclave/db";
import type { FileSummaryView, FileView } from "./schemas.js";

type FileRow = typeof files.$inferSelect;

/** A file as the API shows it, with its profile. */
export function fileView(row: FileRow): FileView {
  return { ...summaryFields(row), profile: row.profile };
}

/** A file in a list: its profile reduced to its shape. */
export function fileSummaryView(row: Omit<FileRow, "profile"> & { rows: number; columns: number }) {
  return { ...summaryFields(row), rows: row.rows, columns: row.columns } satisfies FileSummaryView;
}

function summaryFields(row: Omit<FileRow, "profile">) {
  return {
    id: row.id,
    name: row.name,
    contentType: row.contentType,
    size: row.size,
    sha256: row.sha256,
    uploadedBy: row.uploadedBy,
    createdAt: row.createdAt.toISOString(),
  };
}
