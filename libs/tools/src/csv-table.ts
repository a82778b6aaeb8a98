import { AppError, describeError } from "@conclave/errors";
import { parse } from "csv-parse/sync";

/** The type inferred for a column from all its non-empty values. */
export type ColumnType = "integer" | "number" | "boolean" | "date" | "string";

/** One typed cell: numbers for integer/number columns, booleans, strings for dates and text, or null. */
export type Cell = number | boolean | string | null;

/** A parsed CSV: named, typed columns and rows of typed cells (every row as long as the header). */
export interface CsvTable {
  columns: { name: string; type: ColumnType }[];
  rows: Cell[][];
}

/** Caps applied while parsing; every one has a default. */
export interface CsvLimits {
  /** Size of the CSV text in bytes (default 5 MiB). */
  maxBytes?: number;
  /** Data rows, the header not counted (default 100,000). */
  maxRows?: number;
  maxColumns?: number;
}

const NULLS = new Set(["", "null", "na", "n/a", "nan"]);
const INTEGER = /^[-+]?\d+$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const isNull = (raw: string) => NULLS.has(raw.toLowerCase());

function inferType(values: readonly string[]): ColumnType {
  const present = values.filter((v) => !isNull(v));
  if (present.length === 0) return "string";
  if (present.every((v) => INTEGER.test(v) && Number.isSafeInteger(Number(v)))) return "integer";
  if (present.every((v) => NUMBER.test(v))) return "number";
  if (present.every((v) => BOOLEAN.test(v))) return "boolean";
  if (present.every((v) => DATE.test(v) && !Number.isNaN(Date.parse(v)))) return "date";
  return "string";
}

function toCell(raw: string, type: ColumnType): Cell {
  if (isNull(raw)) return null;
  switch (type) {
    case "integer":
    case "number":
      return Number(raw);
    case "boolean":
      return raw.toLowerCase() === "true";
    case "date":
    case "string":
      return raw;
  }
}

function columnNames(header: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((raw, i) => {
    const base = raw.trim() === "" ? `column_${i + 1}` : raw.trim();
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

/** Parses CSV text (first row = header) into typed columns, refusing text past the caps. */
export function parseCsvTable(csvText: string, limits: CsvLimits = {}): CsvTable {
  const maxBytes = limits.maxBytes ?? 5 * 1024 * 1024;
  const maxRows = limits.maxRows ?? 100_000;
  const maxColumns = limits.maxColumns ?? 200;
  const bytes = Buffer.byteLength(csvText);
  if (bytes > maxBytes)
    throw new AppError("payload_too_large", `the CSV is ${bytes} bytes; the limit is ${maxBytes}`);
  let records: string[][];
  try {
    records = parse(csvText, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // One record past the cap is enough to know the cap is passed.
      to: maxRows + 2,
    });
  } catch (e) {
    throw new AppError("validation", `the CSV is malformed: ${describeError(e)}`, { cause: e });
  }
  const [header, ...body] = records;
  if (header === undefined) throw new AppError("validation", "the CSV is empty (no header row)");
  if (header.length > maxColumns)
    throw new AppError(
      "payload_too_large",
      `the CSV has ${header.length} columns; the limit is ${maxColumns}`,
    );
  if (body.length > maxRows)
    throw new AppError("payload_too_large", `the CSV has more than ${maxRows} rows; the limit is ${maxRows}`);
  const names = columnNames(header);
  const raw = body.map((r) => names.map((_, i) => r[i] ?? ""));
  const types = names.map((_, i) => inferType(raw.map((r) => r[i] ?? "")));
  return {
    columns: names.map((name, i) => ({ name, type: types[i] ?? "string" })),
    rows: raw.map((r) => r.map((v, i) => toCell(v, types[i] ?? "string"))),
  };
}
