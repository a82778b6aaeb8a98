import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { createMemoryTool, type MemoryBlockStore } from "./memory.js";
import { type RunToolInput, runTool } from "./run-tool.js";
import { createToolRegistry } from "./tool-registry.js";

type EditInput = Parameters<MemoryBlockStore["edit"]>[0];

/** A store of one group's blocks in a map, recording every edit it is asked for. */
function store(edits: EditInput[]): MemoryBlockStore {
  const blocks = new Map<string, string>();
  return {
    async edit(input) {
      edits.push(input);
      const { edit } = input;
      const current = blocks.get(edit.label);
      let value: string;
      if (edit.action === "append") value = current ? `${current}\n${edit.text}` : edit.text;
      else if (current === undefined)
        throw new AppError("not_found", `no block ${edit.label}`, {
          fields: [{ path: "label", message: "no such block" }],
        });
      else value = current.replace(edit.old, edit.new);
      blocks.set(edit.label, value);
      return { label: edit.label, value, limit: 2000, version: 1, changed: true };
    },
  };
}

const agent = { id: "0195b3a0-0000-7000-8000-00000000000a", name: "Ada" };

function call(edits: EditInput[], args: unknown, extra: Partial<RunToolInput> = {}) {
  return runTool(createToolRegistry([createMemoryTool({ store: store(edits) })]), {
    name: "memory",
    args,
    allowedTools: ["memory"],
    groupId: "group-a",
    agent,
    turnId: "turn-1",
    idempotencyKey: "key-1",
    ...extra,
  });
}

describe("the memory tool", () => {
  it("appends for the calling agent in its group, passing the call's key and turn", async () => {
    const edits: EditInput[] = [];
    const out = await call(edits, { action: "append", label: "facts", text: "Lin likes tea" });
    expect(out).toEqual({
      ok: true,
      result: { label: "facts", value: "Lin likes tea", limit: 2000, version: 1, changed: true },
    });
    expect(edits).toEqual([
      {
        groupId: "group-a",
        agent,
        turnId: "turn-1",
        edit: { action: "append", label: "facts", text: "Lin likes tea" },
        idempotencyKey: "key-1",
      },
    ]);
  });

  it("names the missing argument of each action, and asks the store nothing", async () => {
    const edits: EditInput[] = [];
    const append = await call(edits, { action: "append", label: "facts" });
    expect(append).toMatchObject({ ok: false, error: { code: "validation", fields: [{ path: "text" }] } });
    const replace = await call(edits, { action: "replace", label: "facts" });
    expect(replace.ok).toBe(false);
    if (!replace.ok) expect(replace.error.fields.map((f) => f.path).sort()).toEqual(["new", "old"]);
    const unknown = await call(edits, { action: "wipe", label: "facts", extra: 1 });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error.fields.map((f) => f.path).sort()).toEqual(["action", "extra"]);
    expect(edits).toEqual([]);
  });

  it("answers the store's refusal as the tool's error", async () => {
    const out = await call([], { action: "replace", label: "facts", old: "tea", new: "coffee" });
    expect(out).toEqual({
      ok: false,
      error: {
        code: "not_found",
        message: "no block facts",
        fields: [{ path: "label", message: "no such block" }],
        retryable: false,
      },
    });
  });

  it("is refused to an agent whose allow-list lacks it, and without an agent in scope", async () => {
    const edits: EditInput[] = [];
    const args = { action: "append", label: "facts", text: "x" };
    const refused = await call(edits, args, { allowedTools: ["calculator"] });
    expect(refused).toMatchObject({ ok: false, error: { code: "forbidden" } });
    const registry = createToolRegistry([createMemoryTool({ store: store(edits) })]);
    expect(registry.definitions(["calculator"])).toEqual([]);
    expect(registry.definitions(["memory"]).map((d) => d.name)).toEqual(["memory"]);
    const noAgent = await runTool(registry, { name: "memory", args, allowedTools: ["memory"], groupId: "g" });
    expect(noAgent).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(edits).toEqual([]);
  });
});
