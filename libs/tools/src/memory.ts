import { AppError } from "@conclave/errors";
import { z } from "zod";
import { defineTool, type Tool, type ToolContext } from "./tool.js";

/** What the `memory` tool asks to change in one of the group's blocks. */
export type MemoryBlockEdit =
  | { action: "append"; label: string; text: string }
  | { action: "replace"; label: string; old: string; new: string };

/** A block as the tool answers it. */
export interface MemoryToolResult {
  label: string;
  value: string;
  limit: number;
  version: number;
  /** False when this very call was applied before (a re-run): nothing changed again. */
  changed: boolean;
}

/**
 * Where the group's blocks are changed. A refusal (a limit, no such block, text not found) throws
 * an `AppError` naming the argument, which the model reads as the tool's error.
 */
export interface MemoryBlockStore {
  edit(input: {
    groupId: string;
    agent: { id: string; name: string };
    turnId?: string;
    edit: MemoryBlockEdit;
    /** The call's ledger key: the same call run again changes nothing. */
    idempotencyKey?: string;
  }): Promise<MemoryToolResult>;
}

export interface MemoryToolConfig {
  store: MemoryBlockStore;
  timeoutMs?: number;
}

const MemoryArgs = z
  .strictObject({
    action: z
      .enum(["append", "replace"])
      .describe("append: add `text` on a new line (creating the block); replace: swap `old` for `new`."),
    label: z
      .string()
      .min(1)
      .max(64)
      .describe("The block's label: lower-case letters, digits, _ and -, e.g. `facts`."),
    text: z.string().min(1).optional().describe("append: the text to add."),
    old: z.string().min(1).optional().describe("replace: the exact text to find in the block (first match)."),
    new: z.string().optional().describe("replace: the text to put in its place (may be empty)."),
  })
  .superRefine((a, ctx) => {
    if (a.action === "append" && a.text === undefined)
      ctx.addIssue({ code: "custom", path: ["text"], message: "required with action append" });
    if (a.action === "replace") {
      if (a.old === undefined)
        ctx.addIssue({ code: "custom", path: ["old"], message: "required with action replace" });
      if (a.new === undefined)
        ctx.addIssue({ code: "custom", path: ["new"], message: "required with action replace" });
    }
  });
type MemoryArgs = z.output<typeof MemoryArgs>;

/** The edit the arguments ask for (the schema has made sure the action's fields are there). */
function editOf(a: MemoryArgs): MemoryBlockEdit {
  return a.action === "append"
    ? { action: "append", label: a.label, text: a.text ?? "" }
    : { action: "replace", label: a.label, old: a.old ?? "", new: a.new ?? "" };
}

/** Runs one `memory` call for the calling agent in its group (see `createMemoryTool`). */
export async function runMemory(
  config: MemoryToolConfig,
  args: MemoryArgs,
  ctx: Pick<ToolContext, "groupId" | "agent" | "turnId" | "idempotencyKey">,
): Promise<MemoryToolResult> {
  if (ctx.groupId === undefined || ctx.agent === undefined)
    throw new AppError("forbidden", "memory: no group or agent in scope for this call");
  return config.store.edit({
    groupId: ctx.groupId,
    agent: ctx.agent,
    ...(ctx.turnId === undefined ? {} : { turnId: ctx.turnId }),
    edit: editOf(args),
    ...(ctx.idempotencyKey === undefined ? {} : { idempotencyKey: ctx.idempotencyKey }),
  });
}

/**
 * The `memory` tool: changes one of the group's memory blocks, the pinned facts every agent of the
 * group sees in its system prompt from the next turn on.
 */
export function createMemoryTool(config: MemoryToolConfig): Tool<MemoryArgs, MemoryToolResult> {
  return defineTool({
    name: "memory",
    description:
      "Changes this group's memory blocks: pinned facts every agent of the group sees at the start of each " +
      "turn. `append` adds text to a block (creating it); `replace` swaps text in one. Blocks have character limits.",
    schema: MemoryArgs,
    timeoutMs: config.timeoutMs ?? 10_000,
    run: (args: MemoryArgs, ctx: ToolContext) => runMemory(config, args, ctx),
  });
}
