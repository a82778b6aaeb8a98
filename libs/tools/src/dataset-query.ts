import { AppError } from "@conclave/errors";
import { z } from "zod";
import type { Cell, ColumnType, CsvTable } from "./csv-table.js";

/** The most rows one query returns. */
export const MAX_QUERY_ROWS = 1_000;

const ColumnName = z.string().min(1).max(200);

/** A query over a dataset: filters (all must hold), then grouping or a column selection, sort and limit. */
export const DatasetQuery = z.strictObject({
  where: z
    .array(
      z.strictObject({
        column: ColumnName,
        op: z.enum(["=", "!=", "<", "<=", ">", ">=", "contains"]),
        value: z.union([z.string().max(1_000), z.number(), z.boolean(), z.null()]),
      }),
    )
    .max(20)
    .optional()
    .describe(
      "Filters, all of which must hold. Empty cells match only `= null`; `!= null` keeps non-empty ones.",
    ),
  select: z.array(ColumnName).min(1).max(100).optional().describe("Columns to return (default: all)."),
  groupBy: z.array(ColumnName).min(1).max(5).optional().describe("Columns to group by."),
  aggregates: z
    .array(
      z.strictObject({
        fn: z.enum(["count", "sum", "mean"]),
        column: ColumnName.optional().describe("Needed for sum and mean; count without it counts rows."),
        as: ColumnName.optional().describe("Name of the output column."),
      }),
    )
    .min(1)
    .max(10)
    .optional()
    .describe("Aggregates per group (or over all rows without groupBy); default with groupBy: count."),
  sort: z
    .array(z.strictObject({ column: ColumnName, direction: z.enum(["asc", "desc"]).default("asc") }))
    .max(5)
    .optional()
    .describe("Sort keys, in order; empty cells sort last."),
  limit: z.number().int().min(1).max(MAX_QUERY_ROWS).default(100),
});
export type DatasetQuery = z.output<typeof DatasetQuery>;

/** What a query returns: column names, rows of cells, and how many rows matched before the limit. */
export interface QueryResult {
  columns: string[];
  rows: Cell[][];
  matched: number;
  truncated: boolean;
}

type Comparable = number | string | boolean;

function invalid(path: string, message: string): never {
  throw new AppError("validation", `dataset: ${message}`, { fields: [{ path, message }] });
}

function compare(a: Comparable, b: Comparable): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The value of a cell as compared: dates by their time, everything else as is. */
function comparable(cell: Exclude<Cell, null>, type: ColumnType): Comparable {
  return type === "date" ? Date.parse(cell as string) : cell;
}

function filterValue(
  value: string | number | boolean,
  type: ColumnType,
  path: string,
  column: string,
): Comparable {
  switch (type) {
    case "integer":
    case "number": {
      const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
      if (typeof value === "string" && value.trim() === "")
        invalid(path, `${column} is numeric; give a number`);
      if (!Number.isFinite(n)) invalid(path, `${column} is numeric; give a number`);
      return n;
    }
    case "boolean":
      if (typeof value === "boolean") return value;
      if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
      return invalid(path, `${column} is boolean; give true or false`);
    case "date": {
      const t = Date.parse(String(value));
      if (Number.isNaN(t)) invalid(path, `${column} holds dates; give a date such as 2024-01-31`);
      return t;
    }
    case "string":
      return String(value);
  }
}

type Predicate = (row: readonly Cell[]) => boolean;

function predicate(
  table: CsvTable,
  index: Map<string, number>,
  f: NonNullable<DatasetQuery["where"]>[number],
  i: number,
): Predicate {
  const col = columnIndex(index, f.column, `where.${i}.column`);
  const type = table.columns[col]?.type ?? "string";
  const path = `where.${i}.value`;
  if (f.value === null) {
    if (f.op === "=") return (row) => row[col] === null;
    if (f.op === "!=") return (row) => row[col] !== null;
    invalid(path, `only = and != compare with null`);
  }
  if (f.op === "contains") {
    const needle = String(f.value).toLowerCase();
    return (row) => {
      const cell = row[col] ?? null;
      return cell !== null && String(cell).toLowerCase().includes(needle);
    };
  }
  const target = filterValue(f.value, type, path, f.column);
  const test: (c: number) => boolean =
    f.op === "="
      ? (c) => c === 0
      : f.op === "!="
        ? (c) => c !== 0
        : f.op === "<"
          ? (c) => c < 0
          : f.op === "<="
            ? (c) => c <= 0
            : f.op === ">"
              ? (c) => c > 0
              : (c) => c >= 0;
  return (row) => {
    const cell = row[col] ?? null;
    return cell !== null && test(compare(comparable(cell, type), target));
  };
}

function columnIndex(index: Map<string, number>, name: string, path: string): number {
  const i = index.get(name);
  if (i === undefined)
    invalid(path, `there is no column ${JSON.stringify(name)} (columns: ${[...index.keys()].join(", ")})`);
  return i;
}

function sortRows(rows: Cell[][], keys: { index: number; desc: boolean; type: ColumnType }[]): Cell[][] {
  if (keys.length === 0) return rows;
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const x = a[k.index] ?? null;
      const y = b[k.index] ?? null;
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
        continue;
      }
      const c = compare(comparable(x, k.type), comparable(y, k.type));
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
}

function aggregate(table: CsvTable, index: Map<string, number>, query: DatasetQuery, rows: Cell[][]) {
  const groupCols = (query.groupBy ?? []).map((name, i) => columnIndex(index, name, `groupBy.${i}`));
  const specs = (query.aggregates ?? [{ fn: "count" as const }]).map((a, i) => {
    const col = a.column === undefined ? undefined : columnIndex(index, a.column, `aggregates.${i}.column`);
    if (a.fn !== "count") {
      if (col === undefined) invalid(`aggregates.${i}.column`, `${a.fn} needs a column`);
      const type = table.columns[col]?.type;
      if (type !== "integer" && type !== "number")
        invalid(`aggregates.${i}.column`, `${a.fn} needs a numeric column; ${a.column} is ${type}`);
    }
    return { fn: a.fn, col, name: a.as ?? (a.column === undefined ? a.fn : `${a.fn}_${a.column}`) };
  });
  const groups = new Map<string, { key: Cell[]; rows: Cell[][] }>();
  for (const row of rows) {
    const key = groupCols.map((c) => row[c] ?? null);
    const id = JSON.stringify(key);
    const group = groups.get(id) ?? { key, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  if (groupCols.length === 0 && groups.size === 0) groups.set("[]", { key: [], rows: [] });
  const out = [...groups.values()].map(({ key, rows: members }) => [
    ...key,
    ...specs.map(({ fn, col }): Cell => {
      if (col === undefined) return members.length;
      const nums = members.map((r) => r[col] ?? null).filter((c): c is number => typeof c === "number");
      if (fn === "count") return nums.length;
      const sum = nums.reduce((s, n) => s + n, 0);
      return fn === "sum" ? sum : nums.length === 0 ? null : sum / nums.length;
    }),
  ]);
  const columns = [...(query.groupBy ?? []), ...specs.map((s) => s.name)];
  const types: ColumnType[] = [
    ...groupCols.map((c) => table.columns[c]?.type ?? "string"),
    ...specs.map((): ColumnType => "number"),
  ];
  return { columns, types, rows: out };
}

/** Runs a query on a parsed table: filter, then group and aggregate or select, then sort and limit. */
export function queryTable(table: CsvTable, query: DatasetQuery): QueryResult {
  const index = new Map(table.columns.map((c, i) => [c.name, i]));
  const filters = (query.where ?? []).map((f, i) => predicate(table, index, f, i));
  const rows = table.rows.filter((row) => filters.every((p) => p(row)));

  let columns: string[];
  let types: ColumnType[];
  let result: Cell[][];
  if (query.groupBy !== undefined || query.aggregates !== undefined) {
    if (query.select !== undefined)
      invalid(
        "select",
        "select does not combine with groupBy or aggregates; the output is the groups and aggregates",
      );
    ({ columns, types, rows: result } = aggregate(table, index, query, rows));
  } else {
    columns = table.columns.map((c) => c.name);
    types = table.columns.map((c) => c.type);
    result = rows;
  }
  const outIndex = new Map(columns.map((c, i) => [c, i]));
  const keys = (query.sort ?? []).map((s, i) => {
    const col = columnIndex(outIndex, s.column, `sort.${i}.column`);
    return { index: col, desc: s.direction === "desc", type: types[col] ?? "string" };
  });
  const sorted = sortRows(result, keys).slice(0, query.limit);
  if (query.select !== undefined) {
    const picked = query.select.map((name, i) => columnIndex(outIndex, name, `select.${i}`));
    return {
      columns: query.select,
      rows: sorted.map((r) => picked.map((c) => r[c] ?? null)),
      matched: result.length,
      truncated: result.length > sorted.length,
    };
  }
  return { columns, rows: sorted, matched: result.length, truncated: result.length > sorted.length };
}
