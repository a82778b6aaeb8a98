import { text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";
import { GroupIdParam } from "../groups/schemas.js";

export const FileParams = GroupIdParam.extend({ fileId: z.uuid("must be a UUID") });

// biome-ignore lint/suspicious/noControlCharactersInRegex: the class names the control characters it refuses.
const CONTROL_FREE = /^[^\x00-\x1F\x7F-\x9F]+$/;

export const UploadQuery = z.strictObject({
  name: text()
    .trim()
    .min(1)
    .max(255)
    // Cc without the `u` flag: the OpenAPI pattern must be a plain ECMAScript regex.
    .regex(CONTROL_FREE, "no control characters")
    .openapi({ description: "The file's name as people and agents see it.", example: "sales.csv" }),
});
export type UploadQuery = z.infer<typeof UploadQuery>;

export const ListFilesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .uuid("must be a nextCursor")
    .optional()
    .openapi({ description: "`nextCursor` of the page before." }),
});
export type ListFilesQuery = z.infer<typeof ListFilesQuery>;

/** The raw CSV body as documented; the route reads it as a stream (no validator runs on it). */
export const csvBody = (maxBytes: number) =>
  ({
    body: {
      required: true,
      description: `CSV text in UTF-8, the first row naming the columns; at most ${maxBytes} bytes.`,
      content: { "text/csv": { schema: z.string().openapi({ example: "city,sales\nParis,12\nLyon,\n" }) } },
    },
  }) as const;

const ColumnProfileView = z
  .object({
    name: z.string(),
    type: z.enum(["integer", "number", "boolean", "date", "string"]),
    nulls: z.number().int(),
    distinct: z.number().int(),
    min: z.union([z.number(), z.string()]).optional(),
    max: z.union([z.number(), z.string()]).optional(),
    mean: z.number().optional(),
    stddev: z.number().nullable().optional(),
    top: z.array(z.object({ value: z.string(), count: z.number().int() })).optional(),
  })
  .openapi("ColumnProfile", {
    description:
      "min and max for numbers (numbers) and dates (ISO text); mean and stddev for numbers; top values for strings and booleans.",
  });

export const ProfileView = z
  .object({ rows: z.number().int(), columns: z.array(ColumnProfileView) })
  .openapi("FileProfile");

const fileFields = {
  id: z.uuid(),
  name: z.string(),
  contentType: z.string(),
  size: z.number().int().openapi({ description: "Bytes." }),
  sha256: z.string().openapi({ description: "Hex SHA-256 of the bytes." }),
  uploadedBy: z.uuid().nullable(),
  createdAt: z.string(),
};

export const FileView = z.object({ ...fileFields, profile: ProfileView }).openapi("File");
export type FileView = z.infer<typeof FileView>;

export const FileSummaryView = z
  .object({ ...fileFields, rows: z.number().int(), columns: z.number().int() })
  .openapi("FileSummary");
export type FileSummaryView = z.infer<typeof FileSummaryView>;

export const FileListView = z
  .object({ items: z.array(FileSummaryView), nextCursor: z.uuid().nullable() })
  .openapi("FileList");
