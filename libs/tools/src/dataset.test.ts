import { describe, expect, it } from "vitest";
import { createDatasetTool, type DatasetStore } from "./dataset.js";
import { runTool } from "./run-tool.js";
import { PRODUCE_CSV } from "./testing/produce-csv.js";
import { createToolRegistry } from "./tool-registry.js";

function store(lookups: string[]): DatasetStore {
  const data = new Map([["group-a/ds-1", { name: "produce.csv", csvText: PRODUCE_CSV }]]);
  return {
    get: async (groupId, datasetId) => {
      lookups.push(`${groupId}/${datasetId}`);
      return data.get(`${groupId}/${datasetId}`);
    },
  };
}

const call = (lookups: string[], args: unknown, groupId?: string, limits = {}) =>
  runTool(createToolRegistry([createDatasetTool({ store: store(lookups), limits })]), {
    name: "dataset",
    args,
    allowedTools: ["dataset"],
    ...(groupId === undefined ? {} : { groupId }),
  });

describe("dataset tool", () => {
  it("describes a dataset of the caller's group", async () => {
    const lookups: string[] = [];
    const out = await call(lookups, { datasetId: "ds-1", action: "describe" }, "group-a");
    expect(out).toMatchObject({ ok: true, result: { dataset: "produce.csv", profile: { rows: 6 } } });
    expect(lookups).toEqual(["group-a/ds-1"]);
  });

  it("queries it", async () => {
    const out = await call(
      [],
      {
        datasetId: "ds-1",
        action: "query",
        where: [{ column: "category", op: "=", value: "fruit" }],
        select: ["name"],
        limit: 2,
      },
      "group-a",
    );
    expect(out).toEqual({
      ok: true,
      result: {
        dataset: "produce.csv",
        columns: ["name"],
        rows: [["Apple"], ["Banana"]],
        matched: 4,
        truncated: true,
      },
    });
  });

  it("looks only in the caller's group, and refuses a call with no group in scope", async () => {
    const lookups: string[] = [];
    const other = await call(lookups, { datasetId: "ds-1", action: "describe" }, "group-b");
    expect(!other.ok && other.error).toMatchObject({
      code: "not_found",
      message: "dataset: there is no dataset ds-1 in this group",
    });
    expect(lookups).toEqual(["group-b/ds-1"]);
    const none = await call(lookups, { datasetId: "ds-1", action: "describe" });
    expect(!none.ok && none.error.code).toBe("forbidden");
  });

  it("reports bad queries and caps with the failing path", async () => {
    const badColumn = await call(
      [],
      { datasetId: "ds-1", action: "query", sort: [{ column: "x" }] },
      "group-a",
    );
    expect(!badColumn.ok && badColumn.error).toMatchObject({
      code: "validation",
      fields: [{ path: "sort.0.column" }],
    });
    const badLimit = await call([], { datasetId: "ds-1", action: "query", limit: 5000 }, "group-a");
    expect(!badLimit.ok && badLimit.error).toMatchObject({ code: "validation", fields: [{ path: "limit" }] });
    const tooBig = await call([], { datasetId: "ds-1", action: "describe" }, "group-a", { maxRows: 3 });
    expect(!tooBig.ok && tooBig.error.code).toBe("payload_too_large");
  });

  it("offers the model an object schema with the query language", () => {
    const tool = createDatasetTool({ store: store([]) });
    expect(tool.parameters).toMatchObject({
      type: "object",
      required: ["datasetId", "action"],
      properties: { action: { enum: ["describe", "query"] }, limit: { maximum: 1000, default: 100 } },
    });
  });
});
