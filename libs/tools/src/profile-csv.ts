import { type Cell, type ColumnType, type CsvLimits, type CsvTable, parseCsvTable } from "./csv-table.js";

/** Statistics of one column; which fields are set depends on its type. */
export interface ColumnProfile {
  name: string;
  type: ColumnType;
  nulls: number;
  distinct: number;
  /** Numbers for integer/number columns, ISO text for dates. */
  min?: number | string;
  max?: number | string;
  mean?: number;
  /** Sample standard deviation (n − 1); null with fewer than two values. */
  stddev?: number | null;
  /** The most frequent values of string and boolean columns, most frequent first (each capped, see PROFILE_VALUE_CHARS). */
  top?: { value: string; count: number }[];
}

/** The shape of a CSV: its row count and a profile of every column. */
export interface DatasetProfile {
  rows: number;
  columns: ColumnProfile[];
}

const TOP_VALUES = 5;
/** The longest text a profile repeats (a top value, a column name); longer ones are cut with `…`. */
export const PROFILE_VALUE_CHARS = 200;
const CUT_MARKER = "…";

/** Keeps a profile small whatever the cells hold: counts are exact, the text shown is capped. */
function capped(text: string): string {
  return text.length <= PROFILE_VALUE_CHARS ? text : `${text.slice(0, PROFILE_VALUE_CHARS)}${CUT_MARKER}`;
}

function numericStats(values: number[]): Pick<ColumnProfile, "min" | "max" | "mean" | "stddev"> {
  if (values.length === 0) return {};
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  const stddev = values.length < 2 ? null : Math.sqrt(squares / (values.length - 1));
  return { min, max, mean, stddev };
}

function topValues(values: readonly string[]): { value: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, TOP_VALUES)
    .map(([value, count]) => ({ value: capped(value), count }));
}

function profileColumn(name: string, type: ColumnType, cells: readonly Cell[]): ColumnProfile {
  const present = cells.filter((c) => c !== null);
  const profile: ColumnProfile = {
    name: capped(name),
    type,
    nulls: cells.length - present.length,
    distinct: new Set(present).size,
  };
  switch (type) {
    case "integer":
    case "number":
      return { ...profile, ...numericStats(present.filter((c) => typeof c === "number")) };
    case "date": {
      const sorted = present.map(String).sort((a, b) => Date.parse(a) - Date.parse(b));
      const [min, max] = [sorted[0], sorted[sorted.length - 1]];
      return min === undefined || max === undefined
        ? profile
        : { ...profile, min: capped(min), max: capped(max) };
    }
    case "boolean":
    case "string":
      return { ...profile, top: topValues(present.map(String)) };
  }
}

/** Profiles a parsed table (see `profileCsv`). */
export function profileTable(table: CsvTable): DatasetProfile {
  return {
    rows: table.rows.length,
    columns: table.columns.map(({ name, type }, i) =>
      profileColumn(
        name,
        type,
        table.rows.map((r) => r[i] ?? null),
      ),
    ),
  };
}

/** Parses CSV text and profiles it: rows, columns, inferred types, nulls and per-type statistics. */
export function profileCsv(csvText: string, limits: CsvLimits = {}): DatasetProfile {
  return profileTable(parseCsvTable(csvText, limits));
}
