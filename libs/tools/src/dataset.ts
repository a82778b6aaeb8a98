import { AppError } from "@conclave/errors";
import { z } from "zod";
import { type CsvLimits, parseCsvTable } from "./csv-table.js";
import { DatasetQuery, type QueryResult, queryTable } from "./dataset-query.js";
import { type DatasetProfile, profileTable } from "./profile-csv.js";
import { defineTool, type Tool, type ToolContext } from "./tool.js";

/** An uploaded dataset as the store keeps it. */
export interface StoredDataset {
  name: string;
  csvText: string;
}

/** Where datasets live; every lookup is scoped to the caller's group. */
export interface DatasetStore {
  get(groupId: string, datasetId: string): Promise<StoredDataset | undefined>;
}

/** Configuration of the `dataset` tool. */
export interface DatasetToolConfig {
  store: DatasetStore;
  limits?: CsvLimits;
  timeoutMs?: number;
}

/** What `dataset` returns: the dataset's name and either its profile or a query's rows. */
export type DatasetToolResult =
  | { dataset: string; profile: DatasetProfile }
  | ({ dataset: string } & QueryResult);

// Rows are dropped from the end until the answer fits what a tool may return.
const MAX_ROWS_CHARS = 150_000;

const DatasetArgs = z.strictObject({
  datasetId: z.string().min(1).max(200).describe("The id of a dataset uploaded to this group."),
  action: z
    .enum(["describe", "query"])
    .describe("describe: rows, columns, types and statistics; query: filtered, grouped or sorted rows."),
  ...DatasetQuery.shape,
});
type DatasetArgs = z.output<typeof DatasetArgs>;

function fitRows(result: QueryResult): QueryResult {
  let size = 0;
  for (let i = 0; i < result.rows.length; i++) {
    size += JSON.stringify(result.rows[i]).length + 1;
    if (size > MAX_ROWS_CHARS) return { ...result, rows: result.rows.slice(0, i), truncated: true };
  }
  return result;
}

/** Describes or queries one of the group's datasets (see `createDatasetTool`). */
export async function runDataset(
  config: DatasetToolConfig,
  args: DatasetArgs,
  groupId: string | undefined,
): Promise<DatasetToolResult> {
  if (groupId === undefined) throw new AppError("forbidden", "dataset: no group in scope for this call");
  const stored = await config.store.get(groupId, args.datasetId);
  if (stored === undefined)
    throw new AppError("not_found", `dataset: there is no dataset ${args.datasetId} in this group`);
  const table = parseCsvTable(stored.csvText, config.limits);
  if (args.action === "describe") return { dataset: stored.name, profile: profileTable(table) };
  const { datasetId: _id, action: _action, ...query } = args;
  return { dataset: stored.name, ...fitRows(queryTable(table, query)) };
}

/** The `dataset` tool: describe an uploaded CSV, or query it with filters, grouping, sorting and a limit. */
export function createDatasetTool(config: DatasetToolConfig): Tool<DatasetArgs, DatasetToolResult> {
  return defineTool({
    name: "dataset",
    description:
      "Reads a CSV dataset uploaded to this conversation. `describe` gives its rows, columns, types and " +
      "statistics; `query` filters (= != < <= > >= contains), groups (count/sum/mean), sorts and limits rows.",
    schema: DatasetArgs,
    timeoutMs: config.timeoutMs ?? 10_000,
    run: (args: DatasetArgs, ctx: ToolContext) => runDataset(config, args, ctx.groupId),
  });
}
