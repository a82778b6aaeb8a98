import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { parseCsvTable } from "./csv-table.js";
import { DatasetQuery, queryTable } from "./dataset-query.js";
import { PRODUCE_CSV } from "./testing/produce-csv.js";

const table = parseCsvTable(PRODUCE_CSV);
const query = (q: unknown) => queryTable(table, DatasetQuery.parse(q));

function invalid(q: unknown): { message: string; path: string | undefined } {
  try {
    query(q);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe("validation");
    return { message: (e as AppError).message, path: (e as AppError).fields[0]?.path };
  }
  throw new Error("the query was accepted");
}

describe("queryTable", () => {
  it("filters, sorts, limits and selects", () => {
    expect(
      query({
        where: [{ column: "price", op: ">", value: 1 }],
        sort: [{ column: "price", direction: "desc" }],
        select: ["name", "price"],
      }),
    ).toEqual({
      columns: ["name", "price"],
      rows: [
        ["Durian", 12],
        ["Eggplant, purple", 3.25],
        ["Apple", 1.5],
      ],
      matched: 3,
      truncated: false,
    });
  });

  it("combines filters with AND, matches text case-insensitively and compares dates as dates", () => {
    const rows = query({
      where: [
        { column: "category", op: "=", value: "fruit" },
        { column: "name", op: "contains", value: "AN" },
        { column: "added", op: ">=", value: "2024-02-01" },
      ],
      select: ["id"],
    }).rows;
    expect(rows).toEqual([[2], [4]]);
    expect(query({ where: [{ column: "in_stock", op: "=", value: "true" }], select: ["id"] }).rows).toEqual([
      [1],
      [3],
      [6],
    ]);
  });

  it("matches empty cells only with = null, and keeps them last when sorting", () => {
    expect(query({ where: [{ column: "price", op: "=", value: null }], select: ["id"] }).rows).toEqual([
      [2],
      [6],
    ]);
    expect(query({ where: [{ column: "price", op: "!=", value: null }] }).matched).toBe(4);
    // SQL-like: an empty cell is neither equal nor unequal to a value.
    expect(query({ where: [{ column: "price", op: "!=", value: 12 }] }).matched).toBe(3);
    const sorted = query({ sort: [{ column: "price", direction: "desc" }], select: ["id"] }).rows;
    expect(sorted).toEqual([[4], [5], [1], [3], [2], [6]]);
  });

  it("groups with count, sum and mean", () => {
    expect(
      query({
        groupBy: ["category"],
        aggregates: [
          { fn: "count" },
          { fn: "sum", column: "price" },
          { fn: "mean", column: "price", as: "avg" },
        ],
        sort: [{ column: "count", direction: "desc" }],
      }),
    ).toEqual({
      columns: ["category", "count", "sum_price", "avg"],
      rows: [
        ["fruit", 4, 13.5, 6.75],
        ["vegetable", 1, 0.75, 0.75],
        [null, 1, 3.25, 3.25],
      ],
      matched: 3,
      truncated: false,
    });
  });

  it("aggregates over all rows without groupBy, and counts non-empty cells of a column", () => {
    expect(
      query({
        aggregates: [{ fn: "count" }, { fn: "count", column: "price" }, { fn: "mean", column: "id" }],
      }),
    ).toEqual({
      columns: ["count", "count_price", "mean_id"],
      rows: [[6, 4, 3.5]],
      matched: 1,
      truncated: false,
    });
  });

  it("limits and says how many rows matched", () => {
    expect(query({ limit: 2, select: ["id"] })).toEqual({
      columns: ["id"],
      rows: [[1], [2]],
      matched: 6,
      truncated: true,
    });
    expect(DatasetQuery.safeParse({ limit: 1001 }).success).toBe(false);
  });

  it("refuses unknown columns and ill-typed values, naming the path", () => {
    expect(invalid({ where: [{ column: "colour", op: "=", value: "red" }] })).toEqual({
      message: expect.stringMatching(/there is no column "colour" \(columns: id, name, price/),
      path: "where.0.column",
    });
    expect(invalid({ where: [{ column: "price", op: "<", value: "cheap" }] }).path).toBe("where.0.value");
    expect(invalid({ where: [{ column: "price", op: "<", value: null }] }).path).toBe("where.0.value");
    expect(invalid({ where: [{ column: "added", op: ">", value: "last week" }] }).path).toBe("where.0.value");
    expect(invalid({ groupBy: ["category"], aggregates: [{ fn: "sum", column: "name" }] })).toEqual({
      message: "dataset: sum needs a numeric column; name is string",
      path: "aggregates.0.column",
    });
    expect(invalid({ aggregates: [{ fn: "mean" }] }).path).toBe("aggregates.0.column");
    expect(invalid({ groupBy: ["category"], select: ["name"] }).path).toBe("select");
    expect(invalid({ groupBy: ["category"], sort: [{ column: "price" }] }).path).toBe("sort.0.column");
    expect(invalid({ select: ["nope"] }).path).toBe("select.0");
  });

  it("treats filter values as data, never as code", () => {
    expect(query({ where: [{ column: "name", op: "=", value: "') || true || ('" }] }).matched).toBe(0);
    expect(query({ where: [{ column: "name", op: "contains", value: "constructor" }] }).matched).toBe(0);
  });
});
