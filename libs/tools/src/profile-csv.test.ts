import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { parseCsvTable } from "./csv-table.js";
import { PROFILE_VALUE_CHARS, profileCsv } from "./profile-csv.js";
import { PRODUCE_CSV as PRODUCE } from "./testing/produce-csv.js";

describe("profileCsv", () => {
  it("infers types and counts nulls, with statistics per type", () => {
    const profile = profileCsv(PRODUCE);
    expect(profile.rows).toBe(6);
    expect(profile.columns).toEqual([
      {
        name: "id",
        type: "integer",
        nulls: 0,
        distinct: 6,
        min: 1,
        max: 6,
        mean: 3.5,
        stddev: expect.closeTo(1.8708, 4),
      },
      {
        name: "name",
        type: "string",
        nulls: 0,
        distinct: 6,
        top: [
          { value: "Apple", count: 1 },
          { value: "Banana", count: 1 },
          { value: "Carrot", count: 1 },
          { value: "Durian", count: 1 },
          { value: "Eggplant, purple", count: 1 },
        ],
      },
      {
        name: "price",
        type: "number",
        nulls: 2,
        distinct: 4,
        min: 0.75,
        max: 12,
        mean: 4.375,
        stddev: expect.closeTo(5.1901, 4),
      },
      {
        name: "in_stock",
        type: "boolean",
        nulls: 1,
        distinct: 2,
        top: [
          { value: "true", count: 3 },
          { value: "false", count: 2 },
        ],
      },
      { name: "added", type: "date", nulls: 1, distinct: 5, min: "2024-01-05", max: "2024-03-01" },
      {
        name: "category",
        type: "string",
        nulls: 1,
        distinct: 2,
        top: [
          { value: "fruit", count: 4 },
          { value: "vegetable", count: 1 },
        ],
      },
      {
        name: "code",
        type: "string",
        nulls: 1,
        distinct: 5,
        top: [
          { value: "2", count: 1 },
          { value: "3", count: 1 },
          { value: "A1", count: 1 },
          { value: "B7", count: 1 },
          { value: "C9", count: 1 },
        ],
      },
    ]);
  });

  it("names empty and repeated headers, pads short rows and drops a BOM", () => {
    const table = parseCsvTable("\uFEFFa,,a\n1,2\n3,4,5,6\n");
    expect(table.columns.map((c) => c.name)).toEqual(["a", "column_2", "a_2"]);
    expect(table.rows).toEqual([
      [1, 2, null],
      [3, 4, 5],
    ]);
  });

  it("keeps a single-value or empty column sensible", () => {
    const profile = profileCsv("x,y\n5,\n");
    expect(profile.columns).toEqual([
      { name: "x", type: "integer", nulls: 0, distinct: 1, min: 5, max: 5, mean: 5, stddev: null },
      { name: "y", type: "string", nulls: 1, distinct: 0, top: [] },
    ]);
  });

  it.each([
    ["rows", () => profileCsv(PRODUCE, { maxRows: 5 }), "payload_too_large", /more than 5 rows/],
    ["bytes", () => profileCsv(PRODUCE, { maxBytes: 100 }), "payload_too_large", /the limit is 100/],
    [
      "columns",
      () => profileCsv(PRODUCE, { maxColumns: 3 }),
      "payload_too_large",
      /7 columns; the limit is 3/,
    ],
    ["malformed", () => profileCsv('a,b\n"unclosed,1\n'), "validation", /malformed/],
    ["empty", () => profileCsv(""), "validation", /empty/],
  ])("refuses CSV past its caps or malformed (%s)", (_what, run, code, message) => {
    try {
      run();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect(e).toMatchObject({ code, message: expect.stringMatching(message) });
    }
  });

  it("accepts exactly the row cap", () => {
    expect(profileCsv(PRODUCE, { maxRows: 6 }).rows).toBe(6);
  });
  it("cuts long text in the profile (top values, names) with a marker, and counts on the whole values", () => {
    const long = "y".repeat(5_000);
    const profile = profileCsv(`${"h".repeat(300)},n\n${long},1\n${long},2\nb,3\n`);
    const [col] = profile.columns;
    expect(col?.name).toBe(`${"h".repeat(PROFILE_VALUE_CHARS)}…`);
    expect(col?.top).toEqual([
      { value: `${"y".repeat(PROFILE_VALUE_CHARS)}…`, count: 2 },
      { value: "b", count: 1 },
    ]);
    expect(col?.distinct).toBe(2);
  });
});
